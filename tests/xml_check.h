// A small well-formedness check for generated XML/SVG in tests: tags balance
// and nest, every '&' starts an entity reference, no raw '<' in text or
// attribute values. Not a validating parser; enough to catch broken output.
#pragma once

#include <cctype>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::testing {

// Empty when `xml` is well-formed in the sense above, else what is wrong.
inline std::string XmlProblem(std::string_view xml) {
  std::vector<std::string> open;
  size_t i = 0;
  auto check_entity = [&](size_t at) -> bool {
    size_t semi = xml.find(';', at);
    if (semi == std::string_view::npos || semi - at > 10) return false;
    std::string_view name = xml.substr(at + 1, semi - at - 1);
    if (name.empty()) return false;
    if (name[0] == '#') {
      for (size_t k = 1; k < name.size(); ++k) {
        if (!std::isdigit(static_cast<unsigned char>(name[k]))) return false;
      }
      return name.size() > 1;
    }
    return name == "amp" || name == "lt" || name == "gt" || name == "quot" || name == "apos";
  };
  while (i < xml.size()) {
    char c = xml[i];
    if (c == '&') {
      if (!check_entity(i)) return "bad entity at offset " + std::to_string(i);
      ++i;
      continue;
    }
    if (c != '<') {
      ++i;
      continue;
    }
    if (xml.substr(i, 5) == "<?xml") {
      size_t end = xml.find("?>", i);
      if (end == std::string_view::npos) return "unterminated XML declaration";
      i = end + 2;
      continue;
    }
    if (xml.substr(i, 4) == "<!--") {
      size_t end = xml.find("-->", i);
      if (end == std::string_view::npos) return "unterminated comment";
      i = end + 3;
      continue;
    }
    // A tag: find its end, honouring quoted attribute values.
    size_t j = i + 1;
    char quote = 0;
    for (; j < xml.size(); ++j) {
      char d = xml[j];
      if (quote) {
        if (d == quote)
          quote = 0;
        else if (d == '<')
          return "raw '<' in an attribute value at offset " + std::to_string(j);
        else if (d == '&' && !check_entity(j))
          return "bad entity in an attribute at offset " + std::to_string(j);
      } else if (d == '"' || d == '\'') {
        quote = d;
      } else if (d == '>') {
        break;
      } else if (d == '<') {
        return "raw '<' inside a tag at offset " + std::to_string(j);
      }
    }
    if (j >= xml.size()) return "unterminated tag at offset " + std::to_string(i);
    std::string_view tag = xml.substr(i + 1, j - i - 1);
    bool closing = !tag.empty() && tag[0] == '/';
    bool self_closing = !tag.empty() && tag.back() == '/';
    std::string_view body = closing ? tag.substr(1) : tag;
    size_t name_end = 0;
    while (name_end < body.size() && !std::isspace(static_cast<unsigned char>(body[name_end])) &&
           body[name_end] != '/') {
      ++name_end;
    }
    std::string name(body.substr(0, name_end));
    if (name.empty()) return "empty tag name at offset " + std::to_string(i);
    if (closing) {
      if (open.empty() || open.back() != name) {
        return "</" + name + "> does not close <" + (open.empty() ? std::string("nothing") : open.back()) +
               ">";
      }
      open.pop_back();
    } else if (!self_closing) {
      open.push_back(name);
    }
    i = j + 1;
  }
  if (!open.empty()) return "<" + open.back() + "> is never closed";
  return {};
}

}  // namespace switchyard::testing
