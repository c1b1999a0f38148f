// docs/results-schema.md against the schema in code (results/record_schema.h):
//   - its field index is exactly what RecordSchemaMarkdown() writes (every
//     field the code knows, with its type and whether it is required, and
//     no other);
//   - the tables that explain each kind of record list exactly the
//     top-level fields the code reads and writes for that kind.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "results/record_schema.h"

namespace switchyard::results {
namespace {

constexpr const char* kIndexBegin = "<!-- field index: generated from src/results/run_record.h";
constexpr const char* kIndexEnd = "<!-- end of the field index -->";

std::string Doc() {
  std::ifstream in(std::string(SWITCHYARD_SOURCE_DIR) + "/docs/results-schema.md");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The text from the heading line that starts with `heading` to the next
// heading of the same or a higher level.
std::string SectionOf(const std::string& doc, const std::string& heading) {
  size_t start = doc.find("\n" + heading);
  if (start == std::string::npos) return {};
  const size_t level = heading.find_first_not_of('#');
  size_t end = start + 1;
  while (true) {
    end = doc.find("\n#", end + 1);
    if (end == std::string::npos) return doc.substr(start);
    const size_t hashes = doc.find_first_not_of('#', end + 1) - (end + 1);
    if (hashes <= level) return doc.substr(start, end - start);
  }
}

// The fields a table's first column names: every `name` of its rows' first cells.
std::set<std::string> FirstColumnFields(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in(text);
  const std::regex field("`([a-z_0-9]+)`");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("| ", 0) != 0 || line.rfind("| field", 0) == 0) continue;
    const std::string first = line.substr(2, line.find(" |", 1) - 2);
    for (std::sregex_iterator it(first.begin(), first.end(), field), end; it != end; ++it)
      out.insert((*it)[1]);
  }
  return out;
}

// The first table after `text`'s first line (up to the first blank line after it).
std::string FirstTable(const std::string& text) {
  size_t start = text.find("\n| field |");
  if (start == std::string::npos) return {};
  size_t end = text.find("\n\n", start);
  return text.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

std::set<std::string> TopLevelFields(RecordKind kind) {
  std::set<std::string> out;
  for (const SchemaField& f : RecordSchema(kind)) {
    if (f.path.find_first_of(".[") == std::string::npos) out.insert(f.path);
  }
  return out;
}

TEST(ResultsSchemaDocTest, TheFieldIndexIsTheCodesSchema) {
  const std::string doc = Doc();
  const size_t begin = doc.find(kIndexBegin);
  ASSERT_NE(begin, std::string::npos) << "docs/results-schema.md has no field index";
  const size_t body = doc.find("-->\n", begin) + 4;
  const size_t end = doc.find(kIndexEnd, body);
  ASSERT_NE(end, std::string::npos);
  const std::string expected = "\n" + RecordSchemaMarkdown();
  EXPECT_EQ(doc.substr(body, end - body), expected)
      << "docs/results-schema.md's field index differs from the code's schema; between the markers it "
         "should read:\n"
      << expected;
}

TEST(ResultsSchemaDocTest, EachKindsTableListsTheFieldsTheCodeKnows) {
  const std::string doc = Doc();
  const std::string study = SectionOf(doc, "## `switchyard study`");
  ASSERT_FALSE(study.empty());
  const std::pair<RecordKind, std::string> kinds[] = {
      {RecordKind::kServer, study},
      {RecordKind::kPipeline, SectionOf(study, "### Pipeline records")},
      {RecordKind::kAdaptive, SectionOf(study, "### Adaptive records")}};
  for (const auto& [kind, text] : kinds) {
    const std::set<std::string> documented = FirstColumnFields(FirstTable(text));
    EXPECT_EQ(documented, TopLevelFields(kind))
        << "the table of " << (kind == RecordKind::kServer ? "server" : RecordKindName(kind)) << " records";
  }
}

TEST(ResultsSchemaDocTest, TheSchemaNamesEveryPartOnce) {
  for (RecordKind kind : {RecordKind::kServer, RecordKind::kPipeline, RecordKind::kAdaptive}) {
    std::set<std::string> paths;
    for (const SchemaField& f : RecordSchema(kind)) EXPECT_TRUE(paths.insert(f.path).second) << f.path;
    EXPECT_TRUE(paths.count("schema") && paths.count("cell") && paths.count("status"));
  }
  // A few of the report's figures, where the report reads them.
  std::set<std::string> server;
  for (const SchemaField& f : RecordSchema(RecordKind::kServer)) server.insert(f.path + " " + f.type);
  EXPECT_TRUE(server.count("client.latency_us.p99 number"));
  EXPECT_TRUE(server.count("client.jain_index number or null"));
  EXPECT_TRUE(server.count("client.entries.*.ok_latency_us.p50 number"));
  EXPECT_TRUE(server.count("server.latency_us.queue.mean number"));
  EXPECT_TRUE(server.count("load.mode \"closed\" or \"open\""));
}

}  // namespace
}  // namespace switchyard::results
