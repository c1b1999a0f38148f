// EventLoops: the server's event loops, as the async executor sees them.
//
// Each loop is an io_context run by exactly one thread. The HTTP frontend
// serves each connection on one loop; the async executor runs a request's
// coroutine on the loop that received it, as an asyncio server does.
#pragma once

#include <boost/asio/io_context.hpp>

namespace switchyard {

// Thread-safe; lives as long as the server.
class EventLoops {
 public:
  virtual ~EventLoops() = default;
  virtual int loop_count() const = 0;
  virtual boost::asio::io_context& loop(int index) = 0;
  // The index of the loop the calling thread runs, or -1 off the loops.
  virtual int CurrentLoop() const = 0;
};

}  // namespace switchyard
