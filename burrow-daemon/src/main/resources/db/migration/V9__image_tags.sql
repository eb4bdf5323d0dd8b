-- Tags of a tenant's images (issue 12: TagResource/UntagResource/ListTags on microvm-image ARNs
-- of the Lambda MicroVMs door, and CreateMicrovmImage's tags). A key is unique per image; the
-- limits (50 per image, key 1..128 and value 0..256 characters, AWS's character set, the
-- reserved aws: prefix) are checked by ImageTags before a row is written. A deleted image takes
-- its tags with it, and a deleted tenant its images.
CREATE TABLE image_tags (
    tenant_id TEXT NOT NULL,
    image     TEXT NOT NULL,
    key       TEXT NOT NULL,
    value     TEXT NOT NULL,
    PRIMARY KEY (tenant_id, image, key),
    FOREIGN KEY (tenant_id, image) REFERENCES images(tenant_id, name) ON DELETE CASCADE
);
