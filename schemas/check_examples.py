#!/usr/bin/env python3
"""Validates every example line beside each schema with the JSON Schema reference validator
(draft 2020-12) and prints one JSON object: {"<file>:<line>": true|false, ...}.
The Swift tests compare this with what Leadflow's decoder accepts."""
import json
import pathlib
import sys

import jsonschema
import referencing

here = pathlib.Path(__file__).resolve().parent
resources = []
for path in here.glob("*.schema.json"):
    schema = json.loads(path.read_text())
    resources.append((schema["$id"], referencing.Resource.from_contents(schema)))
registry = referencing.Registry().with_resources(resources)

verdicts = {}
for examples in sorted(here.glob("*.jsonl")):
    name = examples.name.split(".")[0]
    schema = json.loads((here / f"{name}.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema, registry=registry)
    for number, line in enumerate(examples.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            document = json.loads(line)
        except ValueError:
            verdicts[f"{examples.name}:{number}"] = False
            continue
        verdicts[f"{examples.name}:{number}"] = validator.is_valid(document)
json.dump(verdicts, sys.stdout, sort_keys=True)
