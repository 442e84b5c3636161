//
// herd/task_group.hpp
// ~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_TASK_GROUP_HPP
#define HERD_TASK_GROUP_HPP

#include <herd/config.hpp>
#include <herd/error.hpp>
#include <herd/detail/async_base.hpp>
#include <herd/detail/op_traits.hpp>
#include <herd/future.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/system_executor.hpp>
#include <boost/asio/this_coro.hpp>
#include <atomic>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <type_traits>

namespace herd {

class task_group;

namespace detail {

// Live children of every task group in the process (tests check it returns to zero).
inline std::atomic<std::size_t>& live_children() noexcept
{
  static std::atomic<std::size_t> n{0};
  return n;
}

// One child of a group: its strand and the signal that cancels it.
struct child_record
{
  child_record(net::strand<net::any_io_executor> s) : strand_(std::move(s)) { live_children().fetch_add(1); }
  ~child_record() { live_children().fetch_sub(1); }
  child_record(const child_record&) = delete;
  child_record& operator=(const child_record&) = delete;

  // Thread-safe: the emission happens on the child's strand; spawn_gated
  // holds it until the child's coroutine has started (see run_child).
  void cancel()
  {
    cancelled_.store(true, std::memory_order_release);
    net::post(strand_,
              [this, keep = keep_.lock()]
              {
                if (keep && !finished_)
                  signal_.emit(net::cancellation_type::terminal);
              });
  }

  net::strand<net::any_io_executor> strand_;
  net::cancellation_signal signal_;
  std::weak_ptr<child_record> keep_;
  bool finished_ = false; // on the strand
  std::atomic<bool> cancelled_{false};
  child_record* next_ = nullptr;
  child_record* prev_ = nullptr;
};

// The shared state of one with_task_group call.
class group_state : public std::enable_shared_from_this<group_state>
{
public:
  explicit group_state(net::any_io_executor ex) : ex_(std::move(ex)) {}

  const net::any_io_executor& executor() const noexcept { return ex_; }

  // Registers a child; throws std::logic_error once the group has finished.
  std::shared_ptr<child_record> add_child()
  {
    auto c = std::make_shared<child_record>(net::make_strand(ex_));
    c->keep_ = c;
    std::lock_guard lk(m_);
    if (closed_)
      throw std::logic_error("herd::task_group::spawn: the group has finished; no child may outlive it");
    c->next_ = head_;
    if (head_)
      head_->prev_ = c.get();
    head_ = c.get();
    ++live_;
    if (cancelling_)
      c->cancel();
    return c;
  }

  // A child (or the body) ended; e is its failure, if any.
  void child_done(child_record* c, std::exception_ptr e)
  {
    std::function<void()> done;
    {
      std::lock_guard lk(m_);
      if (c->prev_)
        c->prev_->next_ = c->next_;
      else
        head_ = c->next_;
      if (c->next_)
        c->next_->prev_ = c->prev_;
      if (e && !cancelling_ && !c->cancelled_.load(std::memory_order_acquire))
      {
        // The first failure, not caused by the group's own cancellation.
        first_error_ = e;
        cancel_all_locked();
      }
      if (--live_ == 0)
      {
        closed_ = true;
        done = std::move(on_done_);
      }
    }
    if (done)
      done();
  }

  // Cancels every child (and the body); from any thread.
  void cancel(std::exception_ptr reason)
  {
    std::lock_guard lk(m_);
    if (!cancelling_ && reason && !first_error_)
      cancel_reason_ = reason;
    cancel_all_locked();
  }

  void on_done(std::function<void()> f) { on_done_ = std::move(f); }

  std::exception_ptr error() const
  {
    std::lock_guard lk(m_);
    return first_error_ ? first_error_ : cancel_reason_;
  }

  bool cancelling() const
  {
    std::lock_guard lk(m_);
    return cancelling_;
  }

  std::size_t live() const
  {
    std::lock_guard lk(m_);
    return live_;
  }

private:
  void cancel_all_locked()
  {
    cancelling_ = true;
    for (child_record* c = head_; c; c = c->next_)
      c->cancel();
  }

  net::any_io_executor ex_;
  mutable std::mutex m_;
  child_record* head_ = nullptr;
  std::size_t live_ = 0;
  bool closed_ = false;
  bool cancelling_ = false;
  std::exception_ptr first_error_;
  std::exception_ptr cancel_reason_;
  std::function<void()> on_done_;
};

// Runs a child coroutine on its strand; reports to the group and settles
// the handle's promise. Started through spawn_gated
// (detail/asio_workarounds.hpp, 2.): a cancellation requested before the
// child started was held there, and fails the child here.
template <class T>
net::awaitable<void> run_child(std::shared_ptr<child_record> self, net::awaitable<T> body, promise<T> p)
{
  try
  {
    if (self->cancelled_.load(std::memory_order_acquire))
      throw cancelled_error("herd::task_group: child cancelled before it started");
    if constexpr (std::is_void_v<T>)
    {
      co_await std::move(body);
      p.set_value();
    }
    else
    {
      p.set_value(co_await std::move(body));
    }
  }
  catch (...)
  {
    p.set_exception(std::current_exception());
    throw;
  }
}

} // namespace detail

/// A handle to a child of a task_group.
/**
 * Copyable. The child belongs to its group, which waits for it; dropping
 * the handle neither cancels nor detaches it.
 */
template <class T>
class task_handle
{
public:
  task_handle() = default;

  task_state state() const { return f_.state(); }
  bool done() const { return f_.done(); }

  /// Asks the child to stop (Asio terminal cancellation of what it awaits).
  /** @returns false if the child had already finished. */
  bool cancel() const
  {
    if (f_.done())
      return false;
    if (auto c = child_.lock())
      c->cancel();
    return true;
  }

  /// Waits for the child: completion `void(std::exception_ptr, T)` as future::async_wait.
  template <class CompletionToken = net::deferred_t>
  auto async_wait(CompletionToken&& token = CompletionToken()) const
  {
    return f_.async_wait(std::forward<CompletionToken>(token));
  }

  /// The child's result as a herd::future (works with every wait strategy).
  const future<T>& get_future() const noexcept { return f_; }

private:
  friend class task_group;
  task_handle(future<T> f, std::weak_ptr<detail::child_record> c) : f_(std::move(f)), child_(std::move(c)) {}

  future<T> f_;
  std::weak_ptr<detail::child_record> child_;
};

/// A scope that owns child tasks (Trio's nursery): none outlives it.
/**
 * Obtained only through with_task_group(). Each child runs on its own
 * strand of the group's executor. A task_group is a copyable handle: the
 * reference the body receives is valid until the group completes; a copy
 * stays valid after, and its spawn() then throws std::logic_error.
 *
 * @par Thread Safety
 * spawn() and cancel() may be called from any thread while the group runs.
 */
class task_group
{
public:
  using executor_type = net::any_io_executor;

  executor_type get_executor() const { return state_->executor(); }

  /// Starts @c body as a child of the group.
  /**
   * @returns A task_handle<T>.
   * @throws std::logic_error if the group has already finished.
   */
  template <class T>
  task_handle<T> spawn(net::awaitable<T> body)
  {
    auto child = state_->add_child();
    promise<T> p;
    future<T> f = p.get_future();
    // The child's signal is used on its strand only: spawn_gated assigns its
    // slot there, as child_record::cancel() emits it there (assigning it on
    // the spawning thread raced a group cancel's emit: TSan). A cancel that
    // runs on the strand first finds no slot; run_child sees cancelled_.
    net::post(child->strand_,
              [g = state_, child, body = std::move(body), p = std::move(p)]() mutable
              {
                detail::spawn_gated(child->strand_, detail::run_child<T>(child, std::move(body), std::move(p)),
                                    net::bind_cancellation_slot(child->signal_.slot(),
                                                                [g, child](std::exception_ptr e)
                                                                {
                                                                  child->finished_ = true;
                                                                  g->child_done(child.get(), e);
                                                                }),
                                    detail::early_cancel::to_body);
              });
    return task_handle<T>(std::move(f), child);
  }

  /// Cancels every child and the group's body; the group then completes
  /// with `herd::cancelled_error` (unless a child had failed first).
  void cancel() { state_->cancel(std::make_exception_ptr(cancelled_error("herd::task_group: cancelled"))); }

  /// Children (and the body) still running.
  std::size_t size() const { return state_->live(); }

  /// Children of all task groups in the process that have not finished.
  static std::size_t live_children() noexcept { return detail::live_children().load(); }

private:
  explicit task_group(std::shared_ptr<detail::group_state> s) : state_(std::move(s)) {}
  friend struct task_group_access;

  std::shared_ptr<detail::group_state> state_;
};

struct task_group_access
{
  static task_group make(std::shared_ptr<detail::group_state> s) { return task_group(std::move(s)); }
};

namespace detail {

template <class R>
using group_signature = typename exception_signature<R>::type;

template <class Body>
using group_body_result = typename std::invoke_result_t<Body&, task_group&>::value_type;

// with_task_group's operation, on the one base (detail/async_base.hpp): the
// handler, its work and the cancellation slot; allocated with the handler's
// allocator, and alive (with the group object and the body) until the
// completion runs on the handler's executor, where it is released before
// the handler is called.
template <class Handler, class Body>
class group_op : public async_base<Handler>, public std::enable_shared_from_this<group_op<Handler, Body>>
{
  using R = group_body_result<Body>;

public:
  group_op(Handler&& h, const net::any_io_executor& ex, Body&& body)
    : async_base<Handler>(std::move(h), ex), state_(std::make_shared<group_state>(ex)),
      group_(task_group_access::make(state_)), body_(std::move(body))
  {
  }

  void start()
  {
    auto self = this->shared_from_this();
    state_->on_done([self] { self->finish(); });
    this->install_cancellation(
        [weak = std::weak_ptr<group_state>(state_)](net::cancellation_type)
        {
          if (auto s = weak.lock())
            s->cancel(std::make_exception_ptr(cancelled_error("herd::with_task_group: cancelled")));
        });
    // The body is the group's first child.
    group_.spawn(
        [](std::shared_ptr<group_op> op) -> net::awaitable<void>
        {
          if constexpr (std::is_void_v<R>)
            co_await op->body_(op->group_);
          else
            op->result_.emplace(co_await op->body_(op->group_));
        }(std::move(self)));
  }

private:
  void finish()
  {
    std::exception_ptr e = state_->error();
    this->complete_by(
        [self = this->shared_from_this(), e](Handler& h) mutable
        {
          auto op = std::move(self); // released before the upcall, on the handler's executor
          if constexpr (std::is_void_v<R>)
          {
            op.reset();
            std::move(h)(e);
          }
          else if (e || !op->result_)
          {
            op.reset();
            std::move(h)(e ? e : std::make_exception_ptr(cancelled_error("herd::task_group")), R{});
          }
          else
          {
            R r = std::move(*op->result_);
            op.reset();
            std::move(h)(nullptr, std::move(r));
          }
        });
  }

  std::shared_ptr<group_state> state_;
  task_group group_;
  Body body_;
  std::conditional_t<std::is_void_v<R>, bool, std::optional<R>> result_{};
};

// The initiation carries the group's executor (the handler's default, and
// what experimental::use_promise makes its handler from).
struct initiate_with_task_group
{
  using executor_type = net::any_io_executor;

  explicit initiate_with_task_group(executor_type ex) : ex_(std::move(ex)) {}

  executor_type get_executor() const noexcept { return ex_; }

  template <class Handler, class Body>
  void operator()(Handler&& handler, Body body) const
  {
    using op = group_op<std::decay_t<Handler>, Body>;
    std::decay_t<Handler> h(std::forward<Handler>(handler)); // (use_promise passes an lvalue)
    allocate_shared_op<op>(std::move(h), ex_, std::move(body))->start();
  }

  executor_type ex_;
};

} // namespace detail

/// Runs @c body with a task group and completes when every child has finished.
/**
 * @param ex The executor children (and @c body) run on, each on a strand of it.
 * @param body A callable `(herd::task_group&) -> net::awaitable<R>`; it may
 * spawn children, which may spawn more.
 *
 * The group completes only after @c body and every child have finished.
 * The first failure (of @c body or a child) cancels all the others and is
 * delivered unchanged once they have finished; failures that follow from
 * that cancellation are not reported. Cancelling this operation cancels
 * every child and @c body; the group then completes with
 * `herd::cancelled_error`. After completion spawn() throws std::logic_error.
 *
 * @par Completion Signature
 * @code void(std::exception_ptr, R) @endcode (`void(std::exception_ptr)` for
 * R = void; R must be default-constructible, as for co_spawn in Boost 1.81).
 *
 * @par Per-Operation Cancellation
 * Terminal, partial and total: every child is cancelled.
 */
template <class Body, class CompletionToken = net::deferred_t>
auto with_task_group(net::any_io_executor ex, Body body, CompletionToken&& token = CompletionToken())
{
  using R = detail::group_body_result<Body>;
  if (!ex)
    throw std::invalid_argument("herd::with_task_group: ex must not be empty");
  return net::async_initiate<CompletionToken, detail::group_signature<R>>(
      detail::initiate_with_task_group(std::move(ex)), token, std::move(body));
}

} // namespace herd

#endif // HERD_TASK_GROUP_HPP
