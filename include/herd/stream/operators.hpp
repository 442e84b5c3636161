//
// herd/stream/operators.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_STREAM_OPERATORS_HPP
#define HERD_STREAM_OPERATORS_HPP

#include <herd/clock.hpp>
#include <herd/config.hpp>
#include <herd/detail/stream_core.hpp>
#include <herd/error.hpp>
#include <herd/rate_limiter.hpp>
#include <herd/stream/core.hpp>
#include <herd/sync/semaphore.hpp>
#include <herd/sync/wait_group.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace herd
{
namespace detail
{

// ---------------------------------------------------------------------------
// Pull adapters: stages that run inside the consumer's pull, on the thread
// that completes the stage below. No task and no channel of their own.

template <class Derived, class T>
class adapter_node : public stream_node<T>, public std::enable_shared_from_this<Derived>
{
public:
  using item_type = stream_item<T>;
  using callback = typename stream_node<T>::callback;

  using stream_node<T>::stream_node;

  void pull(callback cb) final
  {
    if (done_ || stopped_.load(std::memory_order_acquire))
    {
      done_ = true;
      this->post_item(std::move(cb), end_item<T>());
      return;
    }
    cb_ = std::move(cb);
    static_cast<Derived*>(this)->on_pull();
  }

protected:
  // Hands the pending pull its item; the end and failures end the stage.
  void deliver(item_type item)
  {
    if (item.index() != 2)
      done_ = true;
    cb_(std::move(item));
  }

  // The item for a user function that threw: the stage's sources stop.
  void fail(std::exception_ptr e)
  {
    static_cast<Derived*>(this)->stop_sources();
    deliver(error_item<T>(std::move(e)));
  }

  template <class U>
  auto relay() // the callback a stage passes to its source
  {
    return [self = this->shared_from_this()](stream_item<U> item) mutable
    { static_cast<Derived&>(*self).on_item(std::move(item)); };
  }

  bool stopped() const noexcept { return stopped_.load(std::memory_order_acquire); }
  void mark_stopped() noexcept { stopped_.store(true, std::memory_order_release); }

  callback cb_;
  bool done_ = false; // consumer side; pulls are sequential

private:
  std::atomic<bool> stopped_{false};
};

// An adapter over one source of type U.
template <class Derived, class T, class U>
class unary_node : public adapter_node<Derived, T>
{
public:
  explicit unary_node(node_ptr<U> src) : adapter_node<Derived, T>(src->get_executor()), src_(std::move(src)) {}

  void stop() noexcept override
  {
    this->mark_stopped();
    src_->stop();
  }
  void stop_sources() noexcept { src_->stop(); }
  void on_pull() { pull_source(); }

protected:
  void pull_source() { src_->pull(this->template relay<U>()); }

  // Passes the end and failures through; true when item holds a value.
  bool pass_through(stream_item<U>& item)
  {
    if (item.index() == 0)
    {
      this->deliver(end_item<T>());
      return false;
    }
    if (item.index() == 1)
    {
      this->deliver(error_item<T>(std::get<1>(std::move(item))));
      return false;
    }
    return true;
  }

  node_ptr<U> src_;
};

template <class T, class Pred>
class filter_node final : public unary_node<filter_node<T, Pred>, T, T>
{
public:
  filter_node(node_ptr<T> src, Pred p) : unary_node<filter_node, T, T>(std::move(src)), pred_(std::move(p)) {}

  void on_item(stream_item<T> item)
  {
    if (!this->pass_through(item))
      return;
    bool keep = false;
    try
    {
      keep = static_cast<bool>(pred_(std::as_const(std::get<2>(item))));
    }
    catch (...)
    {
      this->fail(std::current_exception());
      return;
    }
    if (keep)
      this->deliver(std::move(item));
    else
      this->pull_source(); // completes later, never inline: no recursion
  }

private:
  Pred pred_;
};

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

template <class T>
class take_node final : public unary_node<take_node<T>, T, T>
{
public:
  take_node(node_ptr<T> src, std::size_t n) : unary_node<take_node, T, T>(std::move(src)), left_(n)
  {
    if (n == 0)
      this->src_->stop();
  }

  void on_pull()
  {
    if (left_ == 0)
    {
      this->done_ = true;
      this->post_item(std::move(this->cb_), end_item<T>());
      return;
    }
    this->pull_source();
  }

  void on_item(stream_item<T> item)
  {
    if (!this->pass_through(item))
      return;
    if (--left_ == 0)
      this->src_->stop(); // exactly n were read
    this->deliver(std::move(item));
  }

private:
  std::size_t left_;
};

template <class T>
class skip_node final : public unary_node<skip_node<T>, T, T>
{
public:
  skip_node(node_ptr<T> src, std::size_t n) : unary_node<skip_node, T, T>(std::move(src)), left_(n) {}

  void on_item(stream_item<T> item)
  {
    if (!this->pass_through(item))
      return;
    if (left_ > 0)
    {
      --left_;
      this->pull_source();
      return;
    }
    this->deliver(std::move(item));
  }

private:
  std::size_t left_;
};

template <class T>
class enumerate_node final : public unary_node<enumerate_node<T>, std::pair<std::size_t, T>, T>
{
  using out_type = std::pair<std::size_t, T>;

public:
  explicit enumerate_node(node_ptr<T> src) : unary_node<enumerate_node, out_type, T>(std::move(src)) {}

  void on_item(stream_item<T> item)
  {
    if (!this->pass_through(item))
      return;
    this->deliver(stream_item<out_type>(std::in_place_index<2>, next_++, std::get<2>(std::move(item))));
  }

private:
  std::size_t next_ = 0;
};

// Pulls a, then b; ends with the shorter one and stops the other.
template <class A, class B>
class zip_node final : public adapter_node<zip_node<A, B>, std::pair<A, B>>
{
  using out_type = std::pair<A, B>;

public:
  zip_node(node_ptr<A> a, node_ptr<B> b) : adapter_node<zip_node, out_type>(a->get_executor()), a_(std::move(a)), b_(std::move(b))
  {
  }

  void stop() noexcept override
  {
    this->mark_stopped();
    stop_sources();
  }
  void stop_sources() noexcept
  {
    a_->stop();
    b_->stop();
  }
  void on_pull() { a_->pull(this->template relay<A>()); }

  void on_item(stream_item<A> item)
  {
    if (!take_value(item))
      return;
    first_.emplace(std::get<2>(std::move(item)));
    b_->pull([self = this->shared_from_this()](stream_item<B> item) mutable { self->on_second(std::move(item)); });
  }

private:
  void on_second(stream_item<B> item)
  {
    if (!take_value(item))
      return;
    A a = std::move(*first_);
    first_.reset();
    this->deliver(stream_item<out_type>(std::in_place_index<2>, std::move(a), std::get<2>(std::move(item))));
  }

  template <class U>
  bool take_value(stream_item<U>& item)
  {
    if (item.index() == 2)
      return true;
    stop_sources();
    first_.reset();
    if (item.index() == 1)
      this->deliver(error_item<out_type>(std::get<1>(std::move(item))));
    else
      this->deliver(end_item<out_type>());
    return false;
  }

  node_ptr<A> a_;
  node_ptr<B> b_;
  std::optional<A> first_;
};

// Each source in turn until its end; a failure stops the rest.
template <class T>
class chain_node final : public adapter_node<chain_node<T>, T>
{
public:
  explicit chain_node(std::vector<node_ptr<T>> srcs)
      : adapter_node<chain_node, T>(srcs.front()->get_executor()), srcs_(std::move(srcs))
  {
  }

  void stop() noexcept override
  {
    this->mark_stopped();
    stop_sources();
  }
  void stop_sources() noexcept
  {
    for (auto& s : srcs_)
      s->stop();
  }
  void on_pull() { srcs_[at_]->pull(this->template relay<T>()); }

  void on_item(stream_item<T> item)
  {
    if (item.index() == 0 && at_ + 1 < srcs_.size() && !this->stopped())
    {
      ++at_;
      on_pull();
      return;
    }
    if (item.index() == 1)
      stop_sources();
    this->deliver(std::move(item));
  }

private:
  std::vector<node_ptr<T>> srcs_;
  std::size_t at_ = 0;
};

// ---------------------------------------------------------------------------
// Timed adapters. The timer and the pull race under mu_; the losing side's
// result is dropped (timeout) or kept for the next batch (batch). A pull is
// never cancelled (asio #1241: see channel_node).

template <class T>
class timeout_node final : public unary_node<timeout_node<T>, T, T>
{
public:
  timeout_node(node_ptr<T> src, duration per_item)
      : unary_node<timeout_node, T, T>(std::move(src)), per_item_(per_item), timer_(this->ex_)
  {
  }

  void on_pull()
  {
    {
      std::lock_guard lk(mu_);
      waiting_ = true;
      ++gen_;
      timer_.expires_after(per_item_);
      timer_.async_wait([self = this->shared_from_this(), gen = gen_](boost::system::error_code ec)
                        { self->on_timer(ec, gen); });
    }
    this->pull_source();
  }

  void on_item(stream_item<T> item)
  {
    {
      std::lock_guard lk(mu_);
      if (!waiting_)
        return; // timed out: the stage has failed
      waiting_ = false;
      timer_.cancel();
    }
    this->deliver(std::move(item));
  }

private:
  void on_timer(boost::system::error_code ec, std::uint64_t gen)
  {
    {
      std::lock_guard lk(mu_);
      if (ec || gen != gen_ || !waiting_)
        return;
      waiting_ = false;
    }
    this->fail(std::make_exception_ptr(timeout_error("herd::streams::timeout: no item within the per-item limit")));
  }

  duration per_item_;
  std::mutex mu_;
  herd::timer timer_;
  bool waiting_ = false;
  std::uint64_t gen_ = 0;
};

template <class T>
class batch_node final : public unary_node<batch_node<T>, std::vector<T>, T>
{
  using out_type = std::vector<T>;
  using out_item = stream_item<out_type>;
  using callback = typename stream_node<out_type>::callback;

public:
  batch_node(node_ptr<T> src, std::size_t size, std::optional<duration> max_wait)
      : unary_node<batch_node, out_type, T>(std::move(src)), size_(size), max_wait_(max_wait)
  {
    if (max_wait_)
      timer_.emplace(this->ex_);
    cur_.reserve(size_);
  }

  void on_pull()
  {
    std::unique_lock lk(mu_);
    want_ = true;
    if (ready_ || (src_done_ && (!cur_.empty() || failure_)))
    {
      // A batch flushed by the timer, or what is left at the end.
      auto item = take_locked();
      lk.unlock();
      this->done_ = item.index() != 2;
      this->post_item(std::move(this->cb_), std::move(item));
      return;
    }
    if (src_done_)
    {
      lk.unlock();
      this->done_ = true;
      this->post_item(std::move(this->cb_), end_item<out_type>());
      return;
    }
    if (!pulling_)
    {
      pulling_ = true;
      lk.unlock();
      this->pull_source();
    }
    // else: the pull left running by a time-out flush will deliver.
  }

  void on_item(stream_item<T> item)
  {
    std::unique_lock lk(mu_);
    pulling_ = false;
    if (item.index() == 2)
    {
      cur_.push_back(std::get<2>(std::move(item)));
      if (cur_.size() == 1 && max_wait_)
        arm_locked();
      if (cur_.size() < size_)
      {
        if (want_)
        {
          pulling_ = true;
          lk.unlock();
          this->pull_source();
        }
        return; // no consumer waiting: pull on its next request
      }
      ready_ = true; // full
    }
    else
    {
      src_done_ = true;
      if (item.index() == 1)
        failure_ = std::get<1>(std::move(item));
      if (cur_.empty() && !failure_)
      {
        if (want_)
        {
          want_ = false;
          lk.unlock();
          this->deliver(end_item<out_type>());
        }
        return;
      }
    }
    if (!want_)
      return;
    auto out = take_locked();
    lk.unlock();
    this->deliver(std::move(out));
  }

private:
  // The next thing to hand out: the batch, or the failure once it is empty.
  out_item take_locked()
  {
    want_ = false;
    ready_ = false;
    if (timer_)
      timer_->cancel();
    if (!cur_.empty())
    {
      out_item out(std::in_place_index<2>, std::move(cur_));
      cur_ = out_type();
      cur_.reserve(size_);
      return out;
    }
    if (failure_)
      return error_item<out_type>(std::exchange(failure_, nullptr));
    return end_item<out_type>();
  }

  void arm_locked()
  {
    ++gen_;
    timer_->expires_after(*max_wait_);
    timer_->async_wait([self = this->shared_from_this(), gen = gen_](boost::system::error_code ec)
                       { self->on_timer(ec, gen); });
  }

  void on_timer(boost::system::error_code ec, std::uint64_t gen)
  {
    std::unique_lock lk(mu_);
    if (ec || gen != gen_ || cur_.empty() || ready_)
      return;
    if (!want_)
    {
      ready_ = true; // handed out on the next pull
      return;
    }
    // The pull stays outstanding; its item starts the next batch.
    auto out = take_locked();
    lk.unlock();
    this->deliver(std::move(out));
  }

  std::size_t size_;
  std::optional<duration> max_wait_;
  std::optional<herd::timer> timer_;
  std::mutex mu_;
  out_type cur_;
  std::exception_ptr failure_;
  bool want_ = false;     // a consumer pull is pending
  bool pulling_ = false;  // a source pull is pending
  bool ready_ = false;    // cur_ is due (full or timed out)
  bool src_done_ = false; // the source ended or failed
  std::uint64_t gen_ = 0;
};

// Admits items at the rate_limiter's pace: in any window t at most
// burst + rate * t / per items pass.
template <class T>
class throttle_node final : public unary_node<throttle_node<T>, T, T>
{
public:
  throttle_node(node_ptr<T> src, double rate, duration per, std::size_t burst)
      : unary_node<throttle_node, T, T>(std::move(src)), limiter_(this->ex_, rate, per, burst),
        strand_(net::make_strand(this->ex_))
  {
  }

  void stop() noexcept override
  {
    unary_node<throttle_node, T, T>::stop();
    net::post(strand_, [self = this->shared_from_this()] { self->signal_.emit(net::cancellation_type::terminal); });
  }

  void on_item(stream_item<T> item)
  {
    if (!this->pass_through(item))
      return;
    if (limiter_.try_acquire())
    {
      this->deliver(std::move(item));
      return;
    }
    held_.emplace(std::move(item));
    net::dispatch(strand_,
                  [self = this->shared_from_this()]
                  {
                    if (self->stopped())
                    {
                      self->on_permit(net::error::operation_aborted);
                      return;
                    }
                    self->limiter_.async_acquire(net::bind_cancellation_slot(
                        self->signal_.slot(), net::bind_executor(self->strand_, [self](boost::system::error_code ec)
                                                                 { self->on_permit(ec); })));
                  });
  }

private:
  void on_permit(boost::system::error_code ec)
  {
    auto item = std::move(*held_);
    held_.reset();
    if (ec)
      this->deliver(end_item<T>());
    else
      this->deliver(std::move(item));
  }

  herd::rate_limiter limiter_;
  net::strand<net::any_io_executor> strand_;
  net::cancellation_signal signal_; // on strand_
  std::optional<stream_item<T>> held_;
};

// ---------------------------------------------------------------------------
// Channel stages: merge, buffer and concurrent map run pump tasks that feed a
// channel_node.

// Ends when every source ended; the first failure stops the other sources.
template <class T>
struct merge_state
{
  std::vector<node_ptr<T>> srcs;
  std::atomic<std::size_t> remaining{0};
  void stop_all() noexcept
  {
    for (auto& s : srcs)
      s->stop();
  }
};

template <class T>
net::awaitable<void> merge_pump(std::shared_ptr<channel_node<T>> out, node_ptr<T> src,
                                std::shared_ptr<merge_state<T>> st)
{
  for (;;)
  {
    stream_item<T> item;
    if (!src->try_pull(item))
      item = co_await async_pull(src, net::use_awaitable);
    if (item.index() == 2)
    {
      if (out->try_push(item))
        continue;
      auto [ec] = co_await out->async_push(std::move(item), net::as_tuple(net::use_awaitable));
      if (ec)
      {
        src->stop();
        co_return;
      }
      continue;
    }
    if (item.index() == 1)
    {
      st->stop_all();
      co_await out->async_push(std::move(item), net::as_tuple(net::use_awaitable));
      co_return;
    }
    if (st->remaining.fetch_sub(1, std::memory_order_acq_rel) == 1)
    {
      stream_item<T> last = end_item<T>(); // named: see run_producer
      co_await out->async_push(std::move(last), net::as_tuple(net::use_awaitable));
    }
    co_return;
  }
}

template <class T>
stream<T> make_merge(std::vector<node_ptr<T>> srcs, std::size_t capacity)
{
  auto out = std::make_shared<channel_node<T>>(srcs.front()->get_executor(), capacity);
  auto st = std::make_shared<merge_state<T>>();
  st->srcs = std::move(srcs);
  st->remaining.store(st->srcs.size());
  out->set_on_stop([st] { st->stop_all(); });
  for (auto& s : st->srcs)
    net::co_spawn(out->get_executor(), merge_pump<T>(out, s, st), [](std::exception_ptr) {});
  return stream<T>(out);
}

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

namespace detail
{
template <class Make>
struct op : pipeable
{
  Make make;
  template <class T>
  auto operator()(stream<T>&& s) const&
  {
    return make(std::move(s));
  }
  template <class T>
  auto operator()(stream<T>&& s) &&
  {
    return std::move(make)(std::move(s));
  }
};
template <class Make>
op<Make> make_op(Make m)
{
  return op<Make>{{}, std::move(m)};
}
} // namespace detail

/// Keeps the items for which `pred(const T&)` is true.
template <class Pred>
auto filter(Pred pred)
{
  return detail::make_op(
      [pred = std::move(pred)]<class T>(stream<T>&& s)
      {
        return stream<T>(std::make_shared<herd::detail::filter_node<T, Pred>>(
            herd::detail::release_node(std::move(s), "herd::streams::filter"), pred));
      });
}

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

/// Reads exactly @c n items from the source, then stops it.
inline auto take(std::size_t n)
{
  return detail::make_op([n]<class T>(stream<T>&& s)
                         { return stream<T>(std::make_shared<herd::detail::take_node<T>>(
                               herd::detail::release_node(std::move(s), "herd::streams::take"), n)); });
}

/// Drops the first @c n items.
inline auto skip(std::size_t n)
{
  return detail::make_op([n]<class T>(stream<T>&& s)
                         { return stream<T>(std::make_shared<herd::detail::skip_node<T>>(
                               herd::detail::release_node(std::move(s), "herd::streams::skip"), n)); });
}

/// Pairs each item with its index: `std::pair<std::size_t, T>`, from 0.
inline auto enumerate()
{
  return detail::make_op(
      []<class T>(stream<T>&& s)
      {
        return stream<std::pair<std::size_t, T>>(std::make_shared<herd::detail::enumerate_node<T>>(
            herd::detail::release_node(std::move(s), "herd::streams::enumerate")));
      });
}

/// Groups items into vectors of @c size.
/**
 * A batch goes out when it is full, or @c max_wait after its first item
 * arrived (on the stream executor's herd::clock), whichever comes first; the
 * stream keeps going after a time-out flush, and what is left at the end goes
 * out as a last, shorter batch. A source's failure comes after the batch of
 * the items before it. Without @c max_wait only full batches (and the rest)
 * go out.
 *
 * @throws std::invalid_argument if size is 0 or max_wait is not positive.
 */
inline auto batch(std::size_t size, std::optional<duration> max_wait = std::nullopt)
{
  if (size == 0)
    throw std::invalid_argument("herd::streams::batch: size must be at least 1");
  if (max_wait && *max_wait <= duration::zero())
    throw std::invalid_argument("herd::streams::batch: max_wait must be positive");
  return detail::make_op(
      [size, max_wait]<class T>(stream<T>&& s)
      {
        return stream<std::vector<T>>(std::make_shared<herd::detail::batch_node<T>>(
            herd::detail::release_node(std::move(s), "herd::streams::batch"), size, max_wait));
      });
}

/// Prefetches up to @c n items ahead of the consumer (never more).
/** @throws std::invalid_argument if n is 0. */
inline auto buffer(std::size_t n)
{
  if (n == 0)
    throw std::invalid_argument("herd::streams::buffer: n must be at least 1");
  return detail::make_op(
      [n]<class T>(stream<T>&& s)
      {
        std::vector<herd::detail::node_ptr<T>> srcs;
        srcs.push_back(herd::detail::release_node(std::move(s), "herd::streams::buffer"));
        // The pump holds one item while it waits for room: n - 1 in the channel.
        return herd::detail::make_merge<T>(std::move(srcs), n - 1);
      });
}

/// Lets at most `burst + rate * t / per` items through in any window @c t.
/**
 * Items are delayed, never dropped (a herd::rate_limiter on the stream
 * executor's clock).
 * @throws std::invalid_argument naming rate, per or burst when not positive.
 */
inline auto throttle(double rate, duration per = std::chrono::seconds(1), std::size_t burst = 1)
{
  if (!(rate > 0) || rate != rate || rate > 1e300)
    throw std::invalid_argument("herd::streams::throttle: rate must be positive");
  if (per <= duration::zero())
    throw std::invalid_argument("herd::streams::throttle: per must be positive");
  if (burst == 0)
    throw std::invalid_argument("herd::streams::throttle: burst must be at least 1");
  return detail::make_op(
      [rate, per, burst]<class T>(stream<T>&& s)
      {
        return stream<T>(std::make_shared<herd::detail::throttle_node<T>>(
            herd::detail::release_node(std::move(s), "herd::streams::throttle"), rate, per, burst));
      });
}

/// Fails the stream with herd::timeout_error when an item takes longer than
/// @c per_item (from the pull that asks for it) and stops the source.
/** @throws std::invalid_argument if per_item is not positive. */
inline auto timeout(duration per_item)
{
  if (per_item <= duration::zero())
    throw std::invalid_argument("herd::streams::timeout: per_item must be positive");
  return detail::make_op(
      [per_item]<class T>(stream<T>&& s)
      {
        return stream<T>(std::make_shared<herd::detail::timeout_node<T>>(
            herd::detail::release_node(std::move(s), "herd::streams::timeout"), per_item));
      });
}

/// Items of all the streams as they arrive; ends when all ended; the first
/// failure is delivered and stops the others.
/** @throws std::invalid_argument if no stream is given or one is empty. */
template <class T>
stream<T> merge(std::vector<stream<T>> ss, std::size_t capacity = default_stream_capacity)
{
  if (ss.empty())
    throw std::invalid_argument("herd::streams::merge: at least one stream is needed");
  std::vector<herd::detail::node_ptr<T>> srcs;
  for (auto& s : ss)
    srcs.push_back(herd::detail::release_node(std::move(s), "herd::streams::merge"));
  return herd::detail::make_merge<T>(std::move(srcs), capacity);
}

template <class T, class... More>
  requires(std::is_same_v<std::decay_t<More>, stream<T>> && ...)
stream<T> merge(stream<T> first, More&&... more)
{
  std::vector<stream<T>> ss;
  ss.push_back(std::move(first));
  (ss.push_back(std::move(more)), ...);
  return merge(std::move(ss));
}

/// Pairs of the i-th items of @c a and @c b; ends with the shorter one.
template <class A, class B>
stream<std::pair<A, B>> zip(stream<A> a, stream<B> b)
{
  auto na = herd::detail::release_node(std::move(a), "herd::streams::zip");
  auto nb = herd::detail::release_node(std::move(b), "herd::streams::zip");
  return stream<std::pair<A, B>>(std::make_shared<herd::detail::zip_node<A, B>>(std::move(na), std::move(nb)));
}

/// All of @c first, then all of each next stream.
template <class T, class... More>
  requires(std::is_same_v<std::decay_t<More>, stream<T>> && ...)
stream<T> chain(stream<T> first, More&&... more)
{
  std::vector<herd::detail::node_ptr<T>> srcs;
  srcs.push_back(herd::detail::release_node(std::move(first), "herd::streams::chain"));
  (srcs.push_back(herd::detail::release_node(std::move(more), "herd::streams::chain")), ...);
  return stream<T>(std::make_shared<herd::detail::chain_node<T>>(std::move(srcs)));
}

} // namespace streams
} // namespace herd

#endif // HERD_STREAM_OPERATORS_HPP
