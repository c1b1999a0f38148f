#include "study/http_fetch.h"

#include <chrono>
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace switchyard {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

Result<FetchedResponse> HttpFetch(uint16_t port, const std::string& method, const std::string& path,
                                  const std::string& body, const std::string& bearer, int timeout_ms) {
  asio::io_context ctx;
  beast::tcp_stream stream(ctx);
  beast::error_code ec;
  stream.expires_after(std::chrono::milliseconds(timeout_ms));
  // Synchronous calls ignore the stream's timer: bound them with socket options instead.
  stream.socket().open(asio::ip::tcp::v4(), ec);
  if (!ec) {
    timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    ::setsockopt(stream.socket().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(stream.socket().native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    stream.socket().connect({asio::ip::make_address("127.0.0.1"), port}, ec);
  }
  if (ec) return Unavailable("cannot connect to 127.0.0.1:" + std::to_string(port) + ": " + ec.message());
  http::request<http::string_body> req{http::string_to_verb(method), path, 11};
  req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  if (!bearer.empty()) req.set(http::field::authorization, "Bearer " + bearer);
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
  }
  req.prepare_payload();
  http::write(stream, req, ec);
  if (ec) return Unavailable(method + " " + path + ": " + ec.message());
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res, ec);
  if (ec) return Unavailable(method + " " + path + ": " + ec.message());
  return FetchedResponse{static_cast<int>(res.result_int()), std::move(res.body())};
}

}  // namespace switchyard
