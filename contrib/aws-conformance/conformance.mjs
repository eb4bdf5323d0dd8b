// Burrow's Lambda MicroVMs door driven by AWS's JavaScript SDK (@aws-sdk/client-lambda-microvms),
// as a team on AWS's API would use it (SPEC §8). Every raw response the SDK receives is appended
// to BURROW_AWS_RESPONSE_LOG (one JSON line: operation, status, headers, body), which
// AwsConformanceTest then checks against the service model with model_check.py. The settings are
// the environment conformance.py documents. Exit status 0 only when every step passed.
import { readdirSync, readFileSync, appendFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { Readable } from "node:stream";
import { crc32 } from "node:zlib";
import { randomUUID } from "node:crypto";
import {
  LambdaMicrovmsClient, CreateMicrovmImageCommand, GetMicrovmImageCommand, GetMicrovmImageVersionCommand,
  RunMicrovmCommand, GetMicrovmCommand, CreateMicrovmAuthTokenCommand, SuspendMicrovmCommand,
  TerminateMicrovmCommand, DeleteMicrovmImageCommand, ListMicrovmsCommand,
  ResourceNotFoundException, ValidationException,
} from "@aws-sdk/client-lambda-microvms";

const HERE = dirname(fileURLToPath(import.meta.url));
const BASE = "minimal";
const GREETING = "hello from a Burrow microVM";
const APP_PORT = 8080;
const HOOKS_PORT = 9000;
const POLL_MS = 500;
const BUILD_DEADLINE_MS = 600_000;
const STATE_DEADLINE_MS = 120_000;
const DOS_DATE = 0x21; // 1980-01-01, the zip epoch: the entries carry no real time

function env(name, fallback) {
  const v = process.env[name] ?? fallback;
  if (v === undefined) throw new Error(`${name} is not set (AwsConformanceTest sets it)`);
  return v;
}

const endpoint = env("BURROW_AWS_ENDPOINT").replace(/\/$/, "");
const region = env("BURROW_AWS_REGION", "us-east-1");
const responseLog = env("BURROW_AWS_RESPONSE_LOG");
let responses = 0;

function check(cond, what) {
  if (!cond) throw new Error(what);
}

function step(what) {
  console.log(`- ${what}`);
}

/** The raw response of every call, before the SDK deserializes it, into the response log. */
const recordRaw = (next, context) => async (args) => {
  const result = await next(args);
  const r = result.response;
  const chunks = [];
  for await (const c of r.body) chunks.push(Buffer.from(c));
  const body = Buffer.concat(chunks);
  r.body = Readable.from([body]);
  const operation = context.commandName.replace(/Command$/, "");
  appendFileSync(responseLog, JSON.stringify({ operation, status: r.statusCode, headers: r.headers, body: body.toString("utf8") }) + "\n");
  responses++;
  return result;
};

function client(accessKeyId, secretAccessKey) {
  const c = new LambdaMicrovmsClient({ region, endpoint, maxAttempts: 1, credentials: { accessKeyId, secretAccessKey } });
  c.middlewareStack.add(recordRaw, { step: "deserialize", priority: "low", name: "burrowRecordRaw" });
  return c;
}

/** A zip of app/ with every entry stored (AWS's codeArtifact: the Dockerfile at its root). */
function codeZip() {
  const locals = [], centrals = [];
  let offset = 0;
  for (const name of readdirSync(join(HERE, "app")).sort()) {
    const data = readFileSync(join(HERE, "app", name));
    const fileName = Buffer.from(name);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(DOS_DATE, 12); local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18); local.writeUInt32LE(data.length, 22); local.writeUInt16LE(fileName.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0); central.writeUInt16LE(20, 4); central.writeUInt16LE(20, 6);
    central.writeUInt16LE(DOS_DATE, 14); central.writeUInt32LE(crc, 16); central.writeUInt32LE(data.length, 20); central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(fileName.length, 28); central.writeUInt32LE(offset, 42);
    locals.push(local, fileName, data);
    centrals.push(central, fileName);
    offset += local.length + fileName.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(centrals.length / 2, 8); end.writeUInt16LE(centrals.length / 2, 10);
  end.writeUInt32LE(directory.length, 12); end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

async function awaitState(get, want, failed, deadlineMs) {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const [state, answer] = await get();
    if (state === want) return answer;
    check(!failed.includes(state), `reached ${state}, not ${want}: ${JSON.stringify(answer)}`);
    check(Date.now() < end, `still ${state} after ${deadlineMs} ms, waiting for ${want}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

async function expectError(call, errorClass, ...mentions) {
  try {
    await call();
  } catch (e) {
    check(e instanceof errorClass, `expected ${errorClass.name}, got ${e.name}: ${e.message}`);
    for (const m of mentions) check(e.message.includes(m), `${e.name} does not name ${m}: ${e.message}`);
    return e;
  }
  throw new Error(`expected ${errorClass.name}, the call succeeded`);
}

async function main() {
  const aws = client(env("BURROW_AWS_ACCESS_KEY_ID"), env("BURROW_AWS_SECRET_ACCESS_KEY"));
  const other = client(env("BURROW_AWS_OTHER_ACCESS_KEY_ID"), env("BURROW_AWS_OTHER_SECRET_ACCESS_KEY"));

  step("upload app/ as a zip; CreateMicrovmImage on the managed base, polled until CREATED");
  const up = await fetch(`${endpoint}/v1/uploads`, {
    method: "POST", body: codeZip(), headers: { Authorization: `Bearer ${env("BURROW_AWS_BEARER")}`, "Content-Type": "application/zip" },
  });
  check(up.status === 201, `upload answered ${up.status}`);
  const { uploadId } = await up.json();
  const created = await aws.send(new CreateMicrovmImageCommand({
    name: "ConformanceJs", baseImageArn: `arn:aws:lambda:${region}:aws:microvm-image:${BASE}`,
    buildRoleArn: "arn:aws:iam::123456789012:role/burrow-build", codeArtifact: { uri: `burrow://uploads/${uploadId}` },
    hooks: { port: HOOKS_PORT, microvmImageHooks: { ready: "ENABLED", readyTimeoutInSeconds: 120 } },
    environmentVariables: { GREETING }, resources: [{ minimumMemoryInMiB: 256 }], clientToken: randomUUID(),
  }));
  const arn = created.imageArn;
  await awaitState(async () => {
    const v = await aws.send(new GetMicrovmImageVersionCommand({ imageIdentifier: arn, imageVersion: created.imageVersion }));
    check(v.state !== "FAILED", `the version FAILED: ${v.stateReason}`);
    const i = await aws.send(new GetMicrovmImageCommand({ imageIdentifier: arn }));
    return [i.state, i];
  }, "CREATED", ["CREATE_FAILED"], BUILD_DEADLINE_MS);

  step("RunMicrovm with an idle policy; CreateMicrovmAuthToken; the endpoint answers with the token parts");
  const vm = await aws.send(new RunMicrovmCommand({
    imageIdentifier: arn, clientToken: randomUUID(),
    idlePolicy: { maxIdleDurationSeconds: 60, suspendedDurationSeconds: 3600, autoResumeEnabled: true },
  }));
  check(vm.startedAt instanceof Date, `startedAt was not parsed as a date: ${vm.startedAt}`);
  check(vm.imageArn === arn, `RunMicrovm answered imageArn ${vm.imageArn}, the image is ${arn}`);
  const getVm = async () => {
    const g = await aws.send(new GetMicrovmCommand({ microvmIdentifier: vm.microvmId }));
    return [g.state, g];
  };
  await awaitState(getVm, "RUNNING", ["TERMINATED"], STATE_DEADLINE_MS);
  const { authToken } = await aws.send(new CreateMicrovmAuthTokenCommand({
    microvmIdentifier: vm.microvmId, expirationInMinutes: 5, allowedPorts: [{ port: APP_PORT }],
  }));
  const hello = await fetch(`${vm.endpoint.replace(/\/$/, "")}/js`, { headers: authToken });
  const text = await hello.text();
  check(hello.status === 200 && text.startsWith(`${GREETING} GET /js`), `the endpoint answered ${hello.status}: ${text}`);

  step("SuspendMicrovm; GetMicrovm shows SUSPENDED; the endpoint resumes it");
  await aws.send(new SuspendMicrovmCommand({ microvmIdentifier: vm.microvmId }));
  await awaitState(getVm, "SUSPENDED", ["TERMINATED"], STATE_DEADLINE_MS);
  const again = await fetch(`${vm.endpoint.replace(/\/$/, "")}/again`, { headers: authToken });
  check(again.status === 200, `after suspend the endpoint answered ${again.status}: ${await again.text()}`);
  const page = await aws.send(new ListMicrovmsCommand({ maxResults: 1 }));
  check(page.items.length === 1, `ListMicrovms(maxResults=1): ${JSON.stringify(page)}`);

  step("errors come back as their modeled classes");
  await expectError(() => other.send(new GetMicrovmCommand({ microvmIdentifier: vm.microvmId })), ResourceNotFoundException);
  await expectError(() => aws.send(new CreateMicrovmAuthTokenCommand({
    microvmIdentifier: vm.microvmId, expirationInMinutes: 61, allowedPorts: [{ port: APP_PORT }],
  })), ValidationException, "expirationInMinutes");

  step("TerminateMicrovm twice; DeleteMicrovmImage twice");
  await aws.send(new TerminateMicrovmCommand({ microvmIdentifier: vm.microvmId }));
  await aws.send(new TerminateMicrovmCommand({ microvmIdentifier: vm.microvmId }));
  await awaitState(getVm, "TERMINATED", [], STATE_DEADLINE_MS);
  await aws.send(new DeleteMicrovmImageCommand({ imageIdentifier: arn }));
  await aws.send(new DeleteMicrovmImageCommand({ imageIdentifier: arn }));
}

try {
  await main();
  console.log(`responses recorded: ${responses}`);
  console.log("conformance: JavaScript SDK scenario passed");
} catch (e) {
  console.log(`responses recorded: ${responses}`);
  console.log(`FAILED: ${e.stack ?? e}`);
  process.exit(1);
}
