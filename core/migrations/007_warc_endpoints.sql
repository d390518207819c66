-- Where each WARC file's store answers: the S3 endpoint of the region that wrote it, so
-- one API reads every region's bucket (NULL: the default endpoint, or a local folder).
ALTER TABLE warc_files ADD COLUMN IF NOT EXISTS endpoint TEXT;
