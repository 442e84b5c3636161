//
// herd/stream/sinks.hpp
// ~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_STREAM_SINKS_HPP
#define HERD_STREAM_SINKS_HPP

#include <herd/config.hpp>
#include <herd/detail/stream_core.hpp>
#include <herd/error.hpp>
#include <herd/stream.hpp>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <memory>
#include <mutex>
#include <type_traits>
#include <utility>
#include <vector>

namespace herd
{
namespace detail
{

// Pulls a stream to its end, feeding each value to Sink::accept (on the
// thread that delivered it), then completes with Sink::take(). Cancelling it
// stops the stream and completes at once with cancelled_error.
template <class T, class Handler, class Sink>
class drain_op : public std::enable_shared_from_this<drain_op<T, Handler, Sink>>
{
public:
  using executor_type = net::associated_executor_t<Handler, net::any_io_executor>;

  drain_op(Handler&& h, std::shared_ptr<stream_node<T>> node, Sink&& sink)
      : handler_(std::move(h)), ex_(net::get_associated_executor(handler_, node->get_executor())),
        work_(tracked(ex_)), node_(std::move(node)), sink_(std::move(sink))
  {
  }

  void start()
  {
    auto slot = net::get_associated_cancellation_slot(handler_);
    if (slot.is_connected())
      slot.assign([self = this->shared_from_this()](net::cancellation_type) { self->on_cancel(); });
    pull_next();
  }

private:
  void pull_next()
  {
    node_->pull([self = this->shared_from_this()](stream_item<T> item) mutable { self->on_item(std::move(item)); });
  }

  void on_item(stream_item<T> item)
  {
    std::unique_lock lk(mu_);
    if (done_)
      return;
    // The item, then whatever is ready now without a round trip.
    while (item.index() == 2)
    {
      try
      {
        sink_.accept(std::get<2>(std::move(item)));
      }
      catch (...)
      {
        done_ = true;
        lk.unlock();
        node_->stop();
        finish(std::current_exception(), false);
        return;
      }
      if (!node_->try_pull(item))
      {
        lk.unlock();
        pull_next();
        return;
      }
    }
    done_ = true;
    lk.unlock();
    finish(item.index() == 1 ? std::get<1>(std::move(item)) : std::exception_ptr(), false);
  }

  void on_cancel()
  {
    {
      std::lock_guard lk(mu_);
      if (done_)
        return;
      done_ = true;
    }
    node_->stop();
    finish(std::make_exception_ptr(cancelled_error("herd::streams: the sink was cancelled; the stream is stopped")),
           true);
  }

  // After done_ is set no accept runs: the sink is ours.
  void finish(std::exception_ptr e, bool from_cancel)
  {
    auto f = [self = this->shared_from_this(), e]() mutable
    {
      auto slot = net::get_associated_cancellation_slot(self->handler_);
      if (slot.is_connected())
        slot.clear();
      Handler h(std::move(self->handler_));
      if constexpr (std::is_void_v<decltype(self->sink_.take())>)
      {
        std::move(h)(e);
      }
      else
      {
        auto r = self->sink_.take();
        std::move(h)(e, std::move(r));
      }
    };
    if (from_cancel)
      net::post(ex_, std::move(f));
    else
      net::dispatch(ex_, std::move(f));
  }

  Handler handler_;
  executor_type ex_;
  net::any_io_executor work_;
  std::shared_ptr<stream_node<T>> node_;
  Sink sink_;
  std::mutex mu_;
  bool done_ = false;
};

template <class T, class Sig, class Sink, class Token>
auto async_drain(std::shared_ptr<stream_node<T>> node, Sink sink, Token&& token)
{
  return net::async_initiate<Token, Sig>(
      [](auto handler, std::shared_ptr<stream_node<T>> node, Sink sink)
      {
        using H = decltype(handler);
        auto op = std::make_shared<drain_op<T, H, Sink>>(std::move(handler), std::move(node), std::move(sink));
        op->start();
      },
      token, std::move(node), std::move(sink));
}

template <class T>
struct vector_sink
{
  std::vector<T> v;
  void accept(T&& x) { v.push_back(std::move(x)); }
  std::vector<T> take() { return std::move(v); }
};

template <class Acc, class F>
struct reduce_sink
{
  Acc acc;
  F f;
  template <class T>
  void accept(T&& x)
  {
    acc = f(std::move(acc), std::move(x));
  }
  Acc take() { return std::move(acc); }
};

template <class F>
struct for_each_sink
{
  F f;
  template <class T>
  void accept(T&& x)
  {
    f(std::move(x));
  }
  void take() {}
};

} // namespace detail

namespace streams
{

/// Collects every item; completion signature
/// `void(std::exception_ptr, std::vector<T>)` (on failure: the items so far).
template <class T, class CompletionToken = net::default_completion_token_t<net::any_io_executor>>
auto to_vector(stream<T> s, CompletionToken&& token = CompletionToken())
{
  auto node = herd::detail::release_node(std::move(s), "herd::streams::to_vector");
  return herd::detail::async_drain<T, void(std::exception_ptr, std::vector<T>)>(
      std::move(node), herd::detail::vector_sink<T>{}, std::forward<CompletionToken>(token));
}

/// Calls `f(T)` on every item; completion signature `void(std::exception_ptr)`.
/**
 * A plain f runs on the stream's executor as items arrive; an f returning
 * `net::awaitable<void>` is awaited before the next item is pulled. An
 * exception from f stops the stream and completes the operation with it.
 */
template <class T, class F, class CompletionToken = net::default_completion_token_t<net::any_io_executor>>
auto for_each(stream<T> s, F f, CompletionToken&& token = CompletionToken())
{
  auto node = herd::detail::release_node(std::move(s), "herd::streams::for_each");
  if constexpr (std::is_same_v<std::invoke_result_t<F&, T&&>, net::awaitable<void>>)
  {
    auto ex = node->get_executor();
    return net::co_spawn(
        ex,
        [](stream<T> s, F f) -> net::awaitable<void>
        {
          while (auto v = co_await s.next())
            co_await f(std::move(*v));
        }(stream<T>(std::move(node)), std::move(f)),
        std::forward<CompletionToken>(token));
  }
  else
  {
    return herd::detail::async_drain<T, void(std::exception_ptr)>(
        std::move(node), herd::detail::for_each_sink<F>{std::move(f)}, std::forward<CompletionToken>(token));
  }
}

/// Folds the stream: `acc = f(std::move(acc), item)` from @c init; completion
/// signature `void(std::exception_ptr, Acc)`.
template <class T, class Acc, class F, class CompletionToken = net::default_completion_token_t<net::any_io_executor>>
auto reduce(stream<T> s, Acc init, F f, CompletionToken&& token = CompletionToken())
{
  auto node = herd::detail::release_node(std::move(s), "herd::streams::reduce");
  return herd::detail::async_drain<T, void(std::exception_ptr, Acc)>(
      std::move(node), herd::detail::reduce_sink<Acc, F>{std::move(init), std::move(f)},
      std::forward<CompletionToken>(token));
}

} // namespace streams
} // namespace herd

#endif // HERD_STREAM_SINKS_HPP
