#!/usr/bin/env python3
"""Read credentials files the way the AWS CLI and boto3 do.

Helper of credfile's differential test (credfile/readers_test.go). Run it as
`python3 -X utf8 botocore_read.py`, so that files are decoded as UTF-8
whatever the locale.

Standard input: one file path per line. Standard output: one JSON object
that maps each path to one of

    {"error": "..."}
        botocore.configloader.raw_config_parse cannot parse the file;
    {"sections": {name: {key: value}}, "defaults": {key: value}}
        what raw_config_parse returned (a nested "s3 =" block stays an
        object), and what a section appended to the file would hold: the
        keys it inherits from [DEFAULT];
    {"missing": true, "sections": {}, "defaults": {}}
        the file does not exist.
"""

import json
import os
import sys
import tempfile

import botocore.configloader
import botocore.exceptions

PROBE = "__credswap_probe__"


def parse(path):
    try:
        return {"sections": botocore.configloader.raw_config_parse(path)}
    except botocore.exceptions.ConfigNotFound:
        return {"missing": True, "sections": {}}
    except botocore.exceptions.ConfigParseError as e:
        cause = e.kwargs.get("error")
        return {"error": "%s: %s: %s" % (e, type(cause).__name__, cause)}
    except Exception as e:  # anything botocore lets through is a failure to read
        return {"error": "%s: %s" % (type(e).__name__, e)}


def defaults(path, tmpdir):
    """The keys botocore gives a section appended to the file at path.

    configparser copies the [DEFAULT] section into every other one, so a new
    section is read with them: parse the file with an empty probe section
    appended and take what the probe holds.
    """
    with open(path, "rb") as f:
        data = f.read()
    probe = os.path.join(tmpdir, "credentials")
    with open(probe, "wb") as f:
        f.write(data + b"\n[" + PROBE.encode() + b"]\n")
    return parse(probe).get("sections", {}).get(PROBE, {})


def main():
    out = {}
    with tempfile.TemporaryDirectory() as tmpdir:
        for line in sys.stdin:
            path = line.rstrip("\n")
            if not path:
                continue
            got = parse(path)
            if "sections" in got:
                got["defaults"] = {} if got.get("missing") else defaults(path, tmpdir)
            out[path] = got
    json.dump(out, sys.stdout, sort_keys=True)


if __name__ == "__main__":
    main()
