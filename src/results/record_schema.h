// The results record's schema as data: every field the parts of a RunRecord
// name (results/run_record.h), with its JSON type and whether a record must
// have it, listed from the same Fields() the reader and the writer walk.
// docs/results-schema.md is checked against it (tests/results_schema_test.cc),
// so the page cannot drift from the code.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "results/run_record.h"

namespace switchyard::results {

struct SchemaField {
  // Dotted from the record's top: "client.latency_us.p99"; "[]" for the
  // elements of an array ("phases[].reward"), "*" for the values of an
  // object keyed by name ("client.entries.*.spec").
  std::string path;
  // "integer", "number", "string", "boolean", "any" (kept as written),
  // "object", "array of strings",
  // "array of objects", "object of objects", "\"ok\" or \"failed\"" (a name),
  // with " or null" where the schema allows null.
  std::string type;
  bool required = false;
};

// Every field a record of `kind` may have, parents before their fields, in
// the order the reader checks them; `kind` itself for pipeline and adaptive
// records (a server record has none).
std::vector<SchemaField> RecordSchema(RecordKind kind);

// The schema of every kind as Markdown: one table per kind (field, type,
// required), the field index docs/results-schema.md carries.
std::string RecordSchemaMarkdown();

}  // namespace switchyard::results
