//
// herd/detail/stream_producer.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_DETAIL_STREAM_PRODUCER_HPP
#define HERD_DETAIL_STREAM_PRODUCER_HPP

#include <herd/config.hpp>
#include <herd/detail/asio_workarounds.hpp>
#include <herd/detail/stream_core.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <memory>
#include <utility>

// The coroutine that runs a generate body as the producer of a channel_node
// (detail/stream_core.hpp), on a strand of its own, started through
// spawn_gated (detail/asio_workarounds.hpp). Moved out of stream_core.hpp
// unchanged (issue 16: one concept per header).

namespace herd
{
namespace detail
{

// The coroutine that runs a producer body on a strand of its own, with a
// cancellation signal that stop() emits there. Started through spawn_gated
// (detail/asio_workarounds.hpp, 2.): a stop before the body runs is held
// there, and the body sees it through node->stopped().
struct producer_control
{
  explicit producer_control(const net::any_io_executor& ex) : strand(net::make_strand(ex)) {}
  net::strand<net::any_io_executor> strand;
  net::cancellation_signal signal;
  bool done = false; // on strand
};

template <class T, class Body>
net::awaitable<void> run_producer(std::shared_ptr<channel_node<T>> node, std::shared_ptr<producer_control> ctl,
                                  Body body)
{
  std::exception_ptr failure;
  if (!node->stopped())
  {
    try
    {
      co_await body(node);
    }
    catch (...)
    {
      failure = std::current_exception();
    }
  }
  // Disarmed so that a cancelled body still pushes its end.
  co_await net::this_coro::throw_if_cancelled(false);
  if (!node->stopped())
  {
    try
    {
      // Named, not a temporary: g++ 12 destroys a temporary of a co_await
      // expression twice when it comes out of a conditional expression.
      stream_item<T> last = failure ? error_item<T>(failure) : end_item<T>();
      co_await node->async_push(std::move(last), net::use_awaitable);
    }
    catch (...)
    {
      // Stopped meanwhile: nobody is listening.
    }
  }
  ctl->done = true;
}

// Starts body(node) -> awaitable<void> as the producer of node. Exceptions from
// the body become the stream's failure unless the stream was stopped.
template <class T, class Body>
void start_producer(const std::shared_ptr<channel_node<T>>& node, Body body)
{
  auto ctl = std::make_shared<producer_control>(node->get_executor());
  node->set_on_stop(
      [ctl]
      {
        net::post(ctl->strand,
                  [ctl]
                  {
                    if (!ctl->done)
                      ctl->signal.emit(net::cancellation_type::terminal);
                  });
      });
  spawn_gated(ctl->strand, run_producer<T>(node, ctl, std::move(body)),
              net::bind_cancellation_slot(ctl->signal.slot(), [](std::exception_ptr) {}), early_cancel::to_body);
}

} // namespace detail
} // namespace herd

#endif // HERD_DETAIL_STREAM_PRODUCER_HPP
