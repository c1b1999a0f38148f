// Status and Result<T>: recoverable errors as values.
//
// Every code maps to one HTTP status, so an error found anywhere (parsing,
// admission, a worker process dying) reaches the client with the right code
// and a message naming the problem. No exception crosses a thread or process
// boundary in switchyard; errors travel as these values instead.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace switchyard {

enum class StatusCode {
  kOk,
  kInvalidArgument,    // 400: the request or flag is malformed
  kForbidden,          // 403: admin route without the right token
  kNotFound,           // 404: unknown path, missing key
  kMethodNotAllowed,   // 405
  kPayloadTooLarge,    // 413
  kInternal,           // 500
  kNotImplemented,     // 501: a feature the server was not started with
  kUnavailable,        // 503: queue full, shutting down, worker died
  kDeadlineExceeded,   // 504
};

// HTTP status code for `code`.
int HttpStatusOf(StatusCode code);
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  int http_status() const { return HttpStatusOf(code_); }
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
inline Status DeadlineExceeded(std::string m) { return {StatusCode::kDeadlineExceeded, std::move(m)}; }

// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}                 // NOLINT(implicit)
  Result(Status status) : v_(std::move(status)) {}          // NOLINT(implicit); must not be ok
  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace switchyard
