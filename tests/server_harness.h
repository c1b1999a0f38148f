// Test harness: runs the real switchyard binary and talks HTTP to it.
//
// ServerProcess starts `switchyard serve ...` on a free loopback port and
// waits for its "ready" line; HttpConnection is a deliberately small raw-socket
// client, so tests can also send what a polite client never would (slow
// headers, half a request, oversized bodies).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace switchyard::testing {

struct HttpResponse {
  int status = 0;  // 0: no response (connection closed or timed out)
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;
  nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
};

// One keep-alive connection. Not thread-safe: one per thread.
class HttpConnection {
 public:
  explicit HttpConnection(uint16_t port);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  bool SendRaw(const std::string& bytes);
  // Reads one response; status 0 if the server closed or `timeout` passed.
  HttpResponse ReadResponse(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  HttpResponse Request(const std::string& method, const std::string& path, const std::string& body = "",
                       const std::vector<std::string>& extra_headers = {});
  // True if the server closed the connection within `timeout`.
  bool WaitForClose(std::chrono::milliseconds timeout);
  void Close();

 private:
  int fd_ = -1;
  std::string buffer_;
};

// A loopback port nothing listens on (bound once, then released).
uint16_t UnusedLoopbackPort();

// One-shot helpers on a fresh connection.
HttpResponse Get(uint16_t port, const std::string& path);
HttpResponse Post(uint16_t port, const std::string& path, const std::string& body,
                  const std::vector<std::string>& extra_headers = {});

// A running `switchyard serve`. The destructor kills it (SIGKILL) if a test
// did not stop it.
class ServerProcess {
 public:
  // Starts `switchyard serve --port 0 <args>`; waits until ready. On failure
  // port() is 0 and output() holds what it printed.
  explicit ServerProcess(const std::vector<std::string>& args,
                         std::chrono::milliseconds ready_timeout = std::chrono::seconds(20));
  ~ServerProcess();

  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  bool ready() const { return port_ != 0; }
  const std::string& output() const { return output_; }

  // Sends `signo` and waits for the exit; returns the exit code (or 128+signal).
  int Stop(int signo = 15, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Waits for an exit without signalling; nullopt on timeout.
  std::optional<int> WaitExit(std::chrono::milliseconds timeout);

 private:
  void ReadOutput(std::chrono::milliseconds timeout, const std::string& until);
  pid_t pid_ = -1;
  int out_fd_ = -1;
  uint16_t port_ = 0;
  std::string output_;
};

// Runs the binary with `args` to completion; returns exit code and output.
struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};
CommandResult RunSwitchyard(const std::vector<std::string>& args,
                            std::chrono::milliseconds timeout = std::chrono::seconds(60));

// A fresh temporary directory, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// True while a process with this pid exists (and is not a zombie we own).
bool ProcessAlive(pid_t pid);
// Pids of live processes whose parent is `parent`.
std::vector<pid_t> ChildrenOf(pid_t parent);

}  // namespace switchyard::testing
