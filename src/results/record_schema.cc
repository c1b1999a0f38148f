#include "results/record_schema.h"

#include <fmt/format.h>

#include <type_traits>

namespace switchyard::results {
namespace {

template <typename T>
struct Tag {};

template <typename T>
std::string TypeOf(Tag<std::optional<T>>) {
  return TypeOf(Tag<T>{});
}
template <typename T>
std::string TypeOf(Tag<Nullable<T>>) {
  return TypeOf(Tag<T>{}) + " or null";
}
std::string TypeOf(Tag<int64_t>) { return "integer"; }
std::string TypeOf(Tag<Number>) { return "number"; }
std::string TypeOf(Tag<std::string>) { return "string"; }
std::string TypeOf(Tag<bool>) { return "boolean"; }
std::string TypeOf(Tag<std::vector<std::string>>) { return "array of strings"; }
std::string TypeOf(Tag<Json>) { return "any"; }
template <NamedEnum E>
std::string TypeOf(Tag<E>) {
  return NameList<E>();
}
template <RecordPart P>
std::string TypeOf(Tag<P>) {
  return "object";
}
template <RecordPart P>
std::string TypeOf(Tag<std::vector<P>>) {
  return "array of objects";
}
template <RecordPart P>
std::string TypeOf(Tag<std::map<std::string, P>>) {
  return "object of objects";
}

// Lists a part's fields (its Fields() calling operator()), and its parts'.
class Lister {
 public:
  Lister(std::vector<SchemaField>& out, std::string prefix) : out_(out), prefix_(std::move(prefix)) {}

  template <typename M>
  void operator()(std::string_view key, const M&, const FieldOptions& options = {}) {
    const std::string path = prefix_ + std::string(key);
    out_.push_back({path, TypeOf(Tag<M>{}), options.required});
    Nested(path, Tag<M>{});
  }

  template <typename B>
  void ListBody() {
    const B body{};
    B::Fields(*this, body);
  }

 private:
  template <typename T>
  void Nested(const std::string& path, Tag<std::optional<T>>) {
    Nested(path, Tag<T>{});
  }
  template <typename T>
  void Nested(const std::string& path, Tag<Nullable<T>>) {
    Nested(path, Tag<T>{});
  }
  template <RecordPart P>
  void Nested(const std::string& path, Tag<P>) {
    List<P>(path + ".");
  }
  template <RecordPart P>
  void Nested(const std::string& path, Tag<std::vector<P>>) {
    List<P>(path + "[].");
  }
  template <RecordPart P>
  void Nested(const std::string& path, Tag<std::map<std::string, P>>) {
    List<P>(path + ".*.");
  }
  template <typename T>
  void Nested(const std::string&, Tag<T>) {}  // a value: no fields of its own

  template <RecordPart P>
  void List(const std::string& prefix) {
    const P part{};
    Lister nested(out_, prefix);
    P::Fields(nested, part);
  }

  std::vector<SchemaField>& out_;
  std::string prefix_;
};

}  // namespace

std::vector<SchemaField> RecordSchema(RecordKind kind) {
  std::vector<SchemaField> out;
  Lister lister(out, "");
  const RunRecord record{};
  RunRecord::Fields(lister, record);
  switch (kind) {
    case RecordKind::kServer:
      lister.ListBody<ServerBody>();
      break;
    case RecordKind::kPipeline:
      out.push_back({"kind", "\"pipeline\"", true});
      lister.ListBody<PipelineBody>();
      break;
    case RecordKind::kAdaptive:
      out.push_back({"kind", "\"adaptive\"", true});
      lister.ListBody<AdaptiveBody>();
      break;
  }
  return out;
}

std::string RecordSchemaMarkdown() {
  std::string md;
  const std::pair<RecordKind, const char*> kinds[] = {{RecordKind::kServer, "Server records"},
                                                      {RecordKind::kPipeline, "Pipeline records"},
                                                      {RecordKind::kAdaptive, "Adaptive records"}};
  for (const auto& [kind, title] : kinds) {
    md += fmt::format("#### {}\n\n| field | type | required |\n| --- | --- | --- |\n", title);
    for (const SchemaField& f : RecordSchema(kind)) {
      md += fmt::format("| `{}` | {} | {} |\n", f.path, f.type, f.required ? "yes" : "");
    }
    md += "\n";
  }
  return md;
}

}  // namespace switchyard::results
