# Sourced by the bench scripts: builds burrow-bench in the reactor and runs one of its mains.
# Nothing is installed into ~/.m2 (its snapshots may belong to another checkout), so a bench
# always runs this checkout's classes.
#   bench_java dev.burrow.bench.SomeBench [args...]
export JAVA_HOME="${JAVA_HOME_25:-/usr/lib/jvm/temurin-25-jdk-amd64}"
export PATH="$JAVA_HOME/bin:$PATH"

bench_java() {
  local main="$1"
  shift
  local cp_file="burrow-bench/target/${main##*.}.classpath"
  mvn -B -ntp -q -pl burrow-bench -am package -DskipTests dependency:build-classpath \
    -Dmdep.outputFile="$PWD/$cp_file" -Dmdep.includeScope=runtime
  exec java -cp "burrow-bench/target/classes:$(cat "$cp_file")" "$main" "$@"
}
