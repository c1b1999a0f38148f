#include "loadgen/target_url.h"

#include <arpa/inet.h>

#include <charconv>

namespace switchyard {

std::string TargetUrl::ToString() const {
  return "http://" + host + ":" + std::to_string(port) + path;
}

Result<TargetUrl> TargetUrl::Parse(std::string_view url) {
  auto bad = [&](const std::string& why) { return InvalidArgument("bad --url '" + std::string(url) + "': " + why); };
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) return bad("it must start with http:// (https is not supported)");
  std::string_view rest = url.substr(kScheme.size());
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  TargetUrl t;
  t.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("unclosed [ in the host");
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return bad("junk after ]");
      port = authority.substr(close + 2);
    }
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return bad("no host");
  if (!port.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      return bad("the port must be 1-65535");
    }
    t.port = static_cast<uint16_t>(value);
  }
  t.host = std::string(host);
  if (host == "localhost") {
    t.address = "127.0.0.1";
  } else {
    in_addr v4{};
    in6_addr v6{};
    std::string h(host);
    if (::inet_pton(AF_INET, h.c_str(), &v4) == 1) {
      if ((ntohl(v4.s_addr) >> 24) != 127) return bad("only loopback targets (127.0.0.0/8, ::1, localhost)");
    } else if (::inet_pton(AF_INET6, h.c_str(), &v6) == 1) {
      if (!IN6_IS_ADDR_LOOPBACK(&v6)) return bad("only loopback targets (127.0.0.0/8, ::1, localhost)");
    } else {
      return bad("the host must be localhost or a loopback address");
    }
    t.address = h;
  }
  return t;
}

}  // namespace switchyard
