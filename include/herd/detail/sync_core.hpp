//
// herd/detail/sync_core.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_DETAIL_SYNC_CORE_HPP
#define HERD_DETAIL_SYNC_CORE_HPP

#include <herd/clock.hpp>
#include <herd/config.hpp>
#include <herd/detail/async_base.hpp>

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/associated_allocator.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace herd
{
namespace detail
{

class sync_core;

// What outlives a primitive: its lock, and whether it still exists. A wait
// holds the anchor, so a timer or a cancellation that reaches the wait after
// the primitive was destroyed finds `prim == nullptr` under the lock and
// touches nothing else.
struct sync_anchor
{
  std::mutex mutex;
  sync_core* prim = nullptr;

  // Calls f(prim) if the primitive still exists, keeping it from being
  // destroyed meanwhile (its destructor waits for the users to leave).
  // False if it is gone. f must not wait for the primitive's waiters.
  template <class F>
  bool use(F&& f)
  {
    users.fetch_add(1);
    if (gone.load())
    {
      leave();
      return false;
    }
    try
    {
      f(*prim);
    }
    catch (...)
    {
      leave();
      throw;
    }
    leave();
    return true;
  }

  // Called once by the primitive's destructor.
  void retire() noexcept
  {
    gone.store(true);
    for (int u = users.load(); u != 0; u = users.load())
      users.wait(u);
  }

private:
  void leave() noexcept
  {
    users.fetch_sub(1);
    users.notify_all();
  }

  std::atomic<int> users{0};
  std::atomic<bool> gone{false};
};

// A wait queued on a synchronisation primitive. While linked it is guarded
// by the primitive's mutex. complete_ runs exactly once, after the node was
// unlinked (or was never linked), outside the primitive's lock.
struct sync_waiter
{
  sync_waiter* next_ = nullptr;
  sync_waiter* prev_ = nullptr;
  bool linked_ = false;
  sync_core* prim_ = nullptr;
  std::shared_ptr<sync_anchor> anchor_;
  void (*complete_)(sync_waiter*, boost::system::error_code, std::size_t) noexcept = nullptr;

  void complete(boost::system::error_code ec, std::size_t v) noexcept { complete_(this, ec, v); }
};

// An intrusive FIFO of waiters.
class waiter_list
{
public:
  bool empty() const noexcept { return head_ == nullptr; }
  std::size_t size() const noexcept { return size_; }
  sync_waiter* front() const noexcept { return head_; }

  void push_back(sync_waiter* w) noexcept
  {
    w->linked_ = true;
    w->next_ = nullptr;
    w->prev_ = tail_;
    if (tail_)
      tail_->next_ = w;
    else
      head_ = w;
    tail_ = w;
    ++size_;
  }

  void remove(sync_waiter* w) noexcept
  {
    if (w->prev_)
      w->prev_->next_ = w->next_;
    else
      head_ = w->next_;
    if (w->next_)
      w->next_->prev_ = w->prev_;
    else
      tail_ = w->prev_;
    w->next_ = w->prev_ = nullptr;
    w->linked_ = false;
    --size_;
  }

  sync_waiter* pop_front() noexcept
  {
    sync_waiter* w = head_;
    if (w)
      remove(w);
    return w;
  }

  // Moves every waiter into a detached chain (for completion outside the lock).
  sync_waiter* take_all() noexcept
  {
    sync_waiter* h = head_;
    for (sync_waiter* w = h; w; w = w->next_)
      w->linked_ = false;
    head_ = tail_ = nullptr;
    size_ = 0;
    return h;
  }

private:
  sync_waiter* head_ = nullptr;
  sync_waiter* tail_ = nullptr;
  std::size_t size_ = 0;
};

// Completes a detached chain (from take_all or a local list) with ec.
inline void complete_chain(sync_waiter* w, boost::system::error_code ec, std::size_t v) noexcept
{
  while (w)
  {
    sync_waiter* next = w->next_;
    w->next_ = w->prev_ = nullptr;
    w->complete(ec, v);
    w = next;
  }
}

// The part every primitive shares: executor, lock, FIFO of waiters, and the
// rule that a withdrawn wait leaves no trace.
class sync_core
{
public:
  using executor_type = net::any_io_executor;

  // @throws std::invalid_argument naming ex (for the primitive @c who) if ex is empty.
  sync_core(executor_type ex, const char* who)
      : ex_(checked(std::move(ex), who)), clock_(&clock_of(ex_)), anchor_(make_anchor(this)), mutex_(anchor_->mutex)
  {
  }
  sync_core(const sync_core&) = delete;
  sync_core& operator=(const sync_core&) = delete;

  executor_type get_executor() const { return ex_; }
  herd::clock& get_clock() const noexcept { return *clock_; }

  // Takes w out if it is still queued (cancellation, timeout). True if it
  // was: the caller then completes it. Safe after the primitive is gone.
  static bool withdraw(sync_waiter* w) noexcept
  {
    sync_anchor& a = *w->anchor_;
    std::lock_guard lock(a.mutex);
    if (!w->linked_ || a.prim == nullptr)
      return false;
    a.prim->list_.remove(w);
    a.prim->on_withdrawn();
    return true;
  }

  const std::shared_ptr<sync_anchor>& anchor() const noexcept { return anchor_; }

protected:
  ~sync_core() = default;

  static std::shared_ptr<sync_anchor> make_anchor(sync_core* self)
  {
    auto a = std::make_shared<sync_anchor>();
    a->prim = self;
    return a;
  }

  static executor_type checked(executor_type ex, const char* who)
  {
    if (!ex)
      throw std::invalid_argument(std::string(who) + ": ex must not be empty");
    return ex;
  }

  // The initiations every primitive's waits share: `try_now(w)` (see
  // start_wait) decides between an immediate result and queueing.
  template <class Deliver, class Signature, class CompletionToken, class TryNow>
  auto initiate_wait(CompletionToken&& token, TryNow try_now);

  template <class Deliver, class Signature, class CompletionToken, class TryNow>
  auto initiate_timed_wait(duration d, CompletionToken&& token, TryNow try_now);

  // Called under the lock after a waiter was withdrawn.
  virtual void on_withdrawn() noexcept {}

  // Completes every queued wait with ec and detaches the waits still in
  // flight from the primitive (destructors: the primitive is gone after it).
  void abandon_all(boost::system::error_code ec) noexcept
  {
    anchor_->retire();
    sync_waiter* chain = nullptr;
    {
      std::lock_guard lock(mutex_);
      chain = list_.take_all();
      anchor_->prim = nullptr;
    }
    complete_chain(chain, ec, 0);
  }

  executor_type ex_;
  herd::clock* clock_;
  std::shared_ptr<sync_anchor> anchor_;
  std::mutex& mutex_;
  waiter_list list_;
};

// A wait's cancellation slot handler: terminal, partial and total
// cancellation take a still-queued wait out and complete it as aborted.
struct withdraw_on_cancel
{
  sync_waiter* w_;
  void operator()(net::cancellation_type type)
  {
    if ((type & (net::cancellation_type::terminal | net::cancellation_type::partial |
                 net::cancellation_type::total)) != net::cancellation_type::none &&
        sync_core::withdraw(w_))
      w_->complete(net::error::operation_aborted, 0);
  }
};

// What a primitive's wait hands its handler: `Deliver::call(handler, ec, v,
// prim)` invokes the handler with the operation's completion arguments.
struct deliver_ec
{
  template <class Handler>
  static void call(Handler& h, boost::system::error_code ec, std::size_t, sync_core*)
  {
    std::move(h)(ec);
  }
};

struct deliver_bool
{
  template <class Handler>
  static void call(Handler& h, boost::system::error_code ec, std::size_t v, sync_core*)
  {
    std::move(h)(ec, !ec && v != 0);
  }
};

struct deliver_size
{
  template <class Handler>
  static void call(Handler& h, boost::system::error_code ec, std::size_t v, sync_core*)
  {
    std::move(h)(ec, v);
  }
};

// Immediate or queued completion of an untimed wait: the handler runs on its
// associated executor, never inside the initiating call.
template <class Handler, class Deliver>
class sync_wait_op final : public sync_waiter, public async_base<Handler>
{
public:
  sync_wait_op(Handler&& h, sync_core* prim) : async_base<Handler>(std::move(h), prim->get_executor())
  {
    this->prim_ = prim;
    this->anchor_ = prim->anchor();
    this->complete_ = &on_complete;
    this->install_cancellation(withdraw_on_cancel{this});
  }

private:
  static void on_complete(sync_waiter* w, boost::system::error_code ec, std::size_t v) noexcept
  {
    auto* self = static_cast<sync_wait_op*>(w);
    sync_core* prim = self->prim_;
    // The wait stays allocated until the upcall: its slot filter may run
    // until then (and finds it unlinked).
    sync_wait_op::complete_owned(self,
                                 [ec, v, prim](op_owner<sync_wait_op>& owner, Handler& h)
                                 {
                                   owner.reset();
                                   Deliver::call(h, ec, v, prim);
                                 });
  }
};

// A wait with a deadline on the primitive's clock. The handler runs once
// both the queue side (granted, withdrawn, abandoned) and the timer side
// have finished, so neither outlives it; a timeout completes with success
// and value 0 ("false").
template <class Handler, class Deliver>
class timed_wait_op final : public sync_waiter, public async_base<Handler>
{
public:
  timed_wait_op(Handler&& h, sync_core* prim)
      : async_base<Handler>(std::move(h), prim->get_executor()), timer_(this->get_executor(), prim->get_clock())
  {
    this->prim_ = prim;
    this->anchor_ = prim->anchor();
    this->complete_ = &on_complete;
  }

  // Arms the deadline; must precede queueing, so that a grant can cancel it.
  void arm(duration d)
  {
    this->install_cancellation(withdraw_on_cancel{this});
    timer_.expires_after(d);
    timer_.async_wait(net::bind_executor(this->get_executor(), [this](boost::system::error_code ec) { on_timer(ec); }));
  }

private:
  static void on_complete(sync_waiter* w, boost::system::error_code ec, std::size_t v) noexcept
  {
    auto* self = static_cast<timed_wait_op*>(w);
    self->ec_ = ec;
    self->value_ = v;
    // The timer may be firing right now; its handler then finds the node
    // gone and only counts down.
    self->cancel_timer();
    self->count_down(1);
  }

  void cancel_timer() noexcept
  {
    try
    {
      timer_.cancel();
    }
    catch (...)
    {
    }
  }

  void on_timer(boost::system::error_code ec)
  {
    if (!ec && sync_core::withdraw(this))
    {
      ec_ = {};
      value_ = 0;
      count_down(2);
      return;
    }
    count_down(1);
  }

  void count_down(int n) noexcept
  {
    if (remaining_.fetch_sub(n, std::memory_order_acq_rel) != n)
      return;
    sync_core* prim = this->prim_;
    timed_wait_op::complete_owned(this,
                                  [ec = ec_, v = value_, prim](op_owner<timed_wait_op>& owner, Handler& h)
                                  {
                                    owner.reset();
                                    Deliver::call(h, ec, v, prim);
                                  });
  }

  herd::timer timer_;
  std::atomic<int> remaining_{2};
  boost::system::error_code ec_;
  std::size_t value_ = 0;
};

// Starts a wait: `try_now(w)` (called without the lock held) either queues
// w and returns nullopt, or returns the immediate result, which completes w
// at once (through its executor).
template <class Deliver, class Handler, class TryNow>
void start_wait(sync_core* prim, Handler&& handler, TryNow&& try_now)
{
  auto* op = new_op<sync_wait_op<std::decay_t<Handler>, Deliver>>(std::move(handler), prim);
  if (std::optional<std::size_t> v = try_now(op))
    static_cast<sync_waiter*>(op)->complete({}, *v);
}

template <class Deliver, class Handler, class TryNow>
void start_timed_wait(sync_core* prim, duration d, Handler&& handler, TryNow&& try_now)
{
  auto* op = new_op<timed_wait_op<std::decay_t<Handler>, Deliver>>(std::move(handler), prim);
  op->arm(d);
  if (std::optional<std::size_t> v = try_now(op))
    static_cast<sync_waiter*>(op)->complete({}, *v);
}

template <class Deliver, class Signature, class CompletionToken, class TryNow>
auto sync_core::initiate_wait(CompletionToken&& token, TryNow try_now)
{
  return net::async_initiate<CompletionToken, Signature>(
      initiation_of(this, [this, try_now](auto handler) mutable { start_wait<Deliver>(this, std::move(handler), try_now); }),
      token);
}

template <class Deliver, class Signature, class CompletionToken, class TryNow>
auto sync_core::initiate_timed_wait(duration d, CompletionToken&& token, TryNow try_now)
{
  return net::async_initiate<CompletionToken, Signature>(
      initiation_of(this, [this, d, try_now](auto handler) mutable
                    { start_timed_wait<Deliver>(this, d, std::move(handler), try_now); }),
      token);
}

} // namespace detail
} // namespace herd

#endif // HERD_DETAIL_SYNC_CORE_HPP
