//
// herd/stream/map.hpp
// ~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_STREAM_MAP_HPP
#define HERD_STREAM_MAP_HPP

// streams::map: in the consumer's pull (a plain function, concurrency 1), or
// as tasks on the stream's executor, ordered or as they finish.
#include <herd/config.hpp>
#include <herd/detail/stream_adapter.hpp>
#include <herd/detail/stream_core.hpp>
#include <herd/stream/core.hpp>
#include <herd/sync/semaphore.hpp>
#include <herd/sync/wait_group.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <atomic>
#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

namespace herd
{
namespace detail
{

template <class R, class T, class F>
class map_node final : public unary_node<map_node<R, T, F>, R, T>
{
public:
  map_node(node_ptr<T> src, F f) : unary_node<map_node, R, T>(std::move(src)), f_(std::move(f)) {}

  void on_item(stream_item<T> item)
  {
    if (!this->pass_through(item))
      return;
    std::optional<stream_item<R>> out;
    try
    {
      out.emplace(std::in_place_index<2>, f_(std::get<2>(std::move(item))));
    }
    catch (...)
    {
      this->fail(std::current_exception());
      return;
    }
    this->deliver(std::move(*out));
  }

private:
  F f_;
};

template <class F, class T>
using map_call_result_t = std::invoke_result_t<F&, T&&>;

template <class X>
struct unwrap_awaitable
{
  using type = X;
  static constexpr bool value = false;
};
template <class X>
struct unwrap_awaitable<net::awaitable<X, net::any_io_executor>>
{
  using type = X;
  static constexpr bool value = true;
};

template <class F, class T>
using map_result_t = typename unwrap_awaitable<map_call_result_t<F, T>>::type;

template <class F, class T>
net::awaitable<map_result_t<F, T>> call_mapped(F& f, T v)
{
  if constexpr (unwrap_awaitable<map_call_result_t<F, T>>::value)
    co_return co_await f(std::move(v));
  else
    co_return f(std::move(v));
}

// One call of a concurrent map's function: its value or its exception.
template <class R, class F, class T>
net::awaitable<stream_item<R>> run_mapped(F& f, T v)
{
  std::exception_ptr e;
  try
  {
    co_return stream_item<R>(std::in_place_index<2>, co_await call_mapped(f, std::move(v)));
  }
  catch (...)
  {
    e = std::current_exception();
  }
  co_return error_item<R>(e);
}

// A result of the ordered map, in input order in the channel; filled later.
template <class R>
struct result_slot
{
  std::mutex mu;
  std::optional<stream_item<R>> item;
  unique_callback<void(stream_item<R>)> waiter;

  void set(stream_item<R> v)
  {
    std::unique_lock lk(mu);
    if (waiter)
    {
      auto w = std::move(waiter);
      lk.unlock();
      w(std::move(v));
      return;
    }
    item.emplace(std::move(v));
  }
};

// Pulls slots in order and waits for each one's result.
template <class R>
class ordered_node final : public unary_node<ordered_node<R>, R, std::shared_ptr<result_slot<R>>>
{
  using slot_ptr = std::shared_ptr<result_slot<R>>;

public:
  explicit ordered_node(node_ptr<slot_ptr> src) : unary_node<ordered_node, R, slot_ptr>(std::move(src)) {}

  void on_item(stream_item<slot_ptr> item)
  {
    if (!this->pass_through(item))
      return;
    slot_ptr slot = std::get<2>(std::move(item));
    std::unique_lock lk(slot->mu);
    if (slot->item)
    {
      auto v = std::move(*slot->item);
      lk.unlock();
      // Completes from the slot pull's callback: not inside our pull().
      finish(std::move(v));
      return;
    }
    slot->waiter = [self = this->shared_from_this()](stream_item<R> v) mutable { self->finish(std::move(v)); };
  }

private:
  void finish(stream_item<R> v)
  {
    if (v.index() == 1)
      this->src_->stop();
    this->deliver(std::move(v));
  }
};

struct map_pump_state
{
  map_pump_state(const net::any_io_executor& ex, std::size_t c) : permits(ex, c), running(ex) {}
  semaphore permits;
  wait_group running;
};

// Ordered: each item gets a slot in a channel (input order) and a task that
// fills it; at most `concurrency` tasks run.
template <class R, class T, class F>
net::awaitable<void> ordered_pump(std::shared_ptr<channel_node<std::shared_ptr<result_slot<R>>>> out, node_ptr<T> src,
                                  std::shared_ptr<F> f, std::shared_ptr<map_pump_state> st)
{
  using slot_ptr = std::shared_ptr<result_slot<R>>;
  for (;;)
  {
    stream_item<T> item = co_await async_pull(src, net::use_awaitable);
    if (item.index() != 2)
    {
      stream_item<slot_ptr> last =
          item.index() == 1 ? error_item<slot_ptr>(std::get<1>(std::move(item))) : end_item<slot_ptr>();
      co_await out->async_push(std::move(last), net::as_tuple(net::use_awaitable));
      co_return;
    }
    auto [aec] = co_await st->permits.async_acquire(net::as_tuple(net::use_awaitable));
    if (aec)
      co_return;
    auto slot = std::make_shared<result_slot<R>>();
    net::co_spawn(
        src->get_executor(),
        [](std::shared_ptr<F> f, T v, slot_ptr slot, std::shared_ptr<map_pump_state> st) -> net::awaitable<void>
        {
          stream_item<R> r = co_await run_mapped<R>(*f, std::move(v));
          st->permits.release();
          slot->set(std::move(r));
        }(f, std::get<2>(std::move(item)), slot, st),
        [](std::exception_ptr) {});
    stream_item<slot_ptr> next(std::in_place_index<2>, slot); // named: see run_producer
    auto [ec] = co_await out->async_push(std::move(next), net::as_tuple(net::use_awaitable));
    if (ec)
    {
      src->stop();
      co_return;
    }
  }
}

// Unordered: results go out as tasks finish; the end after the last one.
template <class R, class T, class F>
net::awaitable<void> unordered_pump(std::shared_ptr<channel_node<R>> out, node_ptr<T> src, std::shared_ptr<F> f,
                                    std::shared_ptr<map_pump_state> st)
{
  for (;;)
  {
    stream_item<T> item = co_await async_pull(src, net::use_awaitable);
    if (item.index() != 2)
    {
      co_await st->running.async_wait(net::as_tuple(net::use_awaitable));
      stream_item<R> last = item.index() == 1 ? error_item<R>(std::get<1>(std::move(item))) : end_item<R>();
      co_await out->async_push(std::move(last), net::as_tuple(net::use_awaitable)); // named: see run_producer
      co_return;
    }
    auto [aec] = co_await st->permits.async_acquire(net::as_tuple(net::use_awaitable));
    if (aec || out->stopped())
      co_return;
    st->running.add();
    net::co_spawn(
        src->get_executor(),
        [](std::shared_ptr<F> f, T v, std::shared_ptr<channel_node<R>> out, node_ptr<T> src,
           std::shared_ptr<map_pump_state> st) -> net::awaitable<void>
        {
          stream_item<R> r = co_await run_mapped<R>(*f, std::move(v));
          st->permits.release();
          if (r.index() == 1)
            src->stop(); // the failure goes out now; nothing more is pulled
          co_await out->async_push(std::move(r), net::as_tuple(net::use_awaitable));
          st->running.done();
        }(f, std::get<2>(std::move(item)), out, src, st),
        [](std::exception_ptr) {});
  }
}

} // namespace detail

namespace streams
{

/// Options of streams::map.
struct map_options
{
  /// How many calls of the function may run at once (at least 1).
  std::size_t concurrency = 1;
  /// Deliver results in input order (true) or as they finish (false).
  bool ordered = true;
};

/// Applies @c f to every item: `f(T)` returning `R` or `net::awaitable<R>`.
/**
 * With the default options (concurrency 1) and a plain function, f runs
 * inside the consumer's pull: no task, no channel. With a concurrency above
 * 1, or a function returning an awaitable, each item runs as a task on the
 * stream's executor, at most @c concurrency at once; results come out in input
 * order when @c ordered (a finished result waits for the ones before it),
 * else as they finish. A throwing f fails the stream after the results
 * before it (in the delivery order) and stops the source.
 *
 * @throws std::invalid_argument if opts.concurrency is 0.
 */
template <class F>
auto map(F f, map_options opts = {})
{
  if (opts.concurrency == 0)
    throw std::invalid_argument("herd::streams::map: concurrency must be at least 1");
  return detail::make_op(
      [f = std::move(f), opts]<class T>(stream<T>&& s)
      {
        using R = herd::detail::map_result_t<F, T>;
        constexpr bool async = herd::detail::unwrap_awaitable<herd::detail::map_call_result_t<F, T>>::value;
        auto src = herd::detail::release_node(std::move(s), "herd::streams::map");
        if constexpr (!async)
        {
          if (opts.concurrency == 1)
            return stream<R>(std::make_shared<herd::detail::map_node<R, T, F>>(std::move(src), f));
        }
        auto ex = src->get_executor();
        auto fp = std::make_shared<F>(f);
        auto st = std::make_shared<herd::detail::map_pump_state>(ex, opts.concurrency);
        if (opts.ordered)
        {
          using slot_ptr = std::shared_ptr<herd::detail::result_slot<R>>;
          auto slots = std::make_shared<herd::detail::channel_node<slot_ptr>>(ex, opts.concurrency);
          slots->set_on_stop([src] { src->stop(); });
          net::co_spawn(ex, herd::detail::ordered_pump<R, T, F>(slots, src, fp, st), [](std::exception_ptr) {});
          return stream<R>(std::make_shared<herd::detail::ordered_node<R>>(std::move(slots)));
        }
        auto out = std::make_shared<herd::detail::channel_node<R>>(ex, opts.concurrency);
        out->set_on_stop([src] { src->stop(); });
        net::co_spawn(ex, herd::detail::unordered_pump<R, T, F>(out, src, fp, st), [](std::exception_ptr) {});
        return stream<R>(std::move(out));
      });
}

} // namespace streams
} // namespace herd

#endif // HERD_STREAM_MAP_HPP
