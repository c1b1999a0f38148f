// TargetUrl: where a load generator sends, parsed from http://HOST:PORT/PATH.
// Only loopback targets are accepted: switchyard drives load against servers
// on the machine it runs on, never against someone else's.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace switchyard {

struct TargetUrl {
  std::string host;  // as written (for the Host header)
  std::string address;  // the loopback address to connect to
  uint16_t port = 80;
  std::string path = "/";

  std::string ToString() const;
  // http://host:port/path; localhost, 127.x.y.z and [::1] only.
  static Result<TargetUrl> Parse(std::string_view url);
};

}  // namespace switchyard
