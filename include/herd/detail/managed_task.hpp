//
// herd/detail/managed_task.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_DETAIL_MANAGED_TASK_HPP
#define HERD_DETAIL_MANAGED_TASK_HPP

#include <herd/clock.hpp>
#include <herd/config.hpp>
#include <herd/detail/executor_impl.hpp>
#include <herd/detail/shared_state.hpp>
#include <herd/error.hpp>
#include <herd/future.hpp>
#include <herd/retry.hpp>
#include <herd/sync/semaphore.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <memory>
#include <optional>

namespace herd
{
namespace detail
{

// A task submitted with submit_options: each attempt takes a permit from the
// limiter (waiting asynchronously: no thread is held), runs as an ordinary
// task of the executor, and gives the permit back when it ends; a failed
// attempt is retried after a backoff on a timer (outside the limiter); a
// per-attempt timeout fails the attempt with timeout_error and asks it to
// stop. Every step runs on one strand. The managed task holds outstanding
// work on the executor until it is settled, so shutdown(wait) waits for it.
template <class R, class Launch>
class managed_task final : public shared_state<R>,
                           public cancellable_task,
                           public std::enable_shared_from_this<managed_task<R, Launch>>
{
public:
  managed_task(executor_impl* impl, Launch launch, semaphore* limiter, retry_policy retry,
               std::optional<duration> timeout)
      : impl_(impl), launch_(std::move(launch)), limiter_(limiter), retry_(std::move(retry)), timeout_(timeout),
        keep_(impl->context_keepalive()), work_(tracked(impl->executor())), strand_(net::make_strand(impl->executor())),
        backoff_(strand_), deadline_(strand_)
  {
    this->set_owner(impl, true);
  }

  // The task joins the executor's registry (what shutdown(…, true) cancels)
  // in its first step, on the strand, not here: a post that throws
  // (std::bad_alloc) then leaves no entry behind, and submit rethrows. One
  // that joins after shutdown(…, true) began is cancelled by add_cancellable.
  void start()
  {
    net::post(strand_, [self = this->shared_from_this()] { self->begin(); });
  }

private:
  void begin()
  {
    impl_->add_cancellable(this);
    registered_ = true;
    acquire();
  }

  struct attempt_node : waiter_node
  {
    std::shared_ptr<managed_task> self_;
    future<R> fut_;
    std::size_t id_ = 0;
    bool permit_ = false;
  };

  static void on_node(waiter_node* n) noexcept
  {
    auto* node = static_cast<attempt_node*>(n);
    auto strand = node->self_->strand_;
    net::post(strand,
              [node]
              {
                std::unique_ptr<attempt_node> owned(node);
                owned->self_->attempt_done(*owned);
              });
  }

  void acquire()
  {
    if (this->done() || stopping_)
      return settle_stopped();
    if (!limiter_)
      return run_attempt(false);
    acquiring_ = true;
    limiter_.async_acquire(net::bind_cancellation_slot(
        acquire_signal_.slot(),
        net::bind_executor(strand_,
                           [self = this->shared_from_this()](boost::system::error_code ec) { self->on_permit(ec); })));
  }

  void on_permit(boost::system::error_code ec)
  {
    acquiring_ = false;
    if (!ec && (stopping_ || this->done()))
    {
      limiter_.release();
      ec = net::error::operation_aborted;
    }
    if (ec)
      return settle_stopped();
    run_attempt(true);
  }

  void run_attempt(bool permit)
  {
    ++attempts_;
    if (attempts_ == 1 && !this->try_start())
    {
      if (permit)
        limiter_.release();
      return settle_stopped();
    }
    future<R> f;
    try
    {
      f = launch_();
    }
    catch (...)
    {
      if (permit)
        limiter_.release();
      return fail(std::current_exception());
    }
    auto node = std::make_unique<attempt_node>();
    node->complete_ = &on_node;
    node->self_ = this->shared_from_this();
    node->fut_ = f;
    node->id_ = attempts_;
    node->permit_ = permit;
    current_ = f;
    if (timeout_)
    {
      deadline_.expires_after(*timeout_);
      deadline_.async_wait(
          net::bind_executor(strand_,
                             [self = this->shared_from_this(), id = attempts_](boost::system::error_code ec)
                             {
                               if (!ec)
                                 self->on_deadline(id);
                             }));
    }
    attempt_node* raw = node.release();
    if (!future_access::mutable_state(raw->fut_).add_waiter(raw))
      on_node(raw); // already settled
  }

  void on_deadline(std::size_t id)
  {
    if (id != attempts_ || !current_.valid() || current_.done())
      return;
    // The attempt is abandoned: asked to stop, and failed with a timeout
    // now; its permit comes back when it really ends.
    abandoned_ = id;
    future<R> gone = std::exchange(current_, future<R>());
    gone.cancel();
    fail(std::make_exception_ptr(timeout_error("herd::async_executor::submit: attempt timed out")));
  }

  void attempt_done(attempt_node& node)
  {
    if (node.permit_)
      limiter_.release();
    if (node.id_ != attempts_ || abandoned_ == node.id_)
      return; // a timed-out attempt ending late
    current_ = future<R>();
    deadline_.cancel();
    shared_state<R>& s = future_access::mutable_state(node.fut_);
    if (s.state() == task_state::completed)
    {
      if constexpr (std::is_void_v<R>)
        this->set_value();
      else
        this->set_value(std::move(const_cast<R&>(s.value())));
      return cleanup();
    }
    fail(s.error());
  }

  void fail(std::exception_ptr e)
  {
    if (!stopping_ && !this->cancel_requested() && attempts_ < retry_.max_attempts && retry_.should_retry(e))
    {
      in_backoff_ = true;
      backoff_.expires_after(retry_.delay_before(attempts_, retry_rng()));
      backoff_.async_wait(net::bind_executor(strand_,
                                             [self = this->shared_from_this()](boost::system::error_code ec)
                                             {
                                               self->in_backoff_ = false;
                                               if (ec || self->stopping_)
                                                 return self->settle_stopped();
                                               self->acquire();
                                             }));
      return;
    }
    this->set_exception(e, classify_failure(e, this->cancel_requested()));
    cleanup();
  }

  // Ends the task after a cancellation request (or shutdown) reached it
  // between attempts.
  void settle_stopped()
  {
    if (!this->done())
      this->set_exception(stop_reason_ ? stop_reason_ : cancelled_exception(), task_state::cancelled);
    cleanup();
  }

  void cleanup()
  {
    if (cleaned_)
      return;
    cleaned_ = true;
    deadline_.cancel();
    backoff_.cancel();
    if (registered_)
      impl_->remove_cancellable(this);
    impl_->release();
    work_ = impl_->executor(); // stops holding the executor's work
  }

  static std::exception_ptr cancelled_exception()
  {
    return std::make_exception_ptr(cancelled_error("herd: task cancelled"));
  }

  // Cancellation: the future's cancel() or shutdown(…, true).
  bool request_stop() noexcept override
  {
    post_stop(nullptr);
    return true;
  }
  void on_cancelled_pending() noexcept override { post_stop(nullptr); }
  std::shared_ptr<void> pin() noexcept override { return this->weak_from_this().lock(); }
  void cancel_for_shutdown() noexcept override
  {
    // The reason travels to the strand first; cancel() then posts a plain stop.
    std::exception_ptr reason = executor_impl::shutdown_exception();
    post_stop(reason);
    this->cancel(reason);
  }

  void post_stop(std::exception_ptr reason) noexcept
  {
    try
    {
      net::post(strand_, [self = this->shared_from_this(), reason] { self->stop(reason); });
    }
    catch (...)
    {
    }
  }

  void stop(std::exception_ptr reason)
  {
    if (reason && !stop_reason_)
      stop_reason_ = reason;
    stopping_ = true;
    if (acquiring_)
      acquire_signal_.emit(net::cancellation_type::terminal);
    if (in_backoff_)
      backoff_.cancel();
    if (current_.valid())
      current_.cancel();
    if (this->done() && !acquiring_ && !in_backoff_ && !current_.valid())
      cleanup();
  }

  executor_impl* impl_;
  Launch launch_;
  semaphore_ref limiter_; // may outlive the semaphore
  retry_policy retry_;
  std::optional<duration> timeout_;
  std::shared_ptr<void> keep_; // destroyed after the strand and timers: a future may outlive the executor
  net::any_io_executor work_;
  net::strand<net::any_io_executor> strand_;
  herd::timer backoff_;
  herd::timer deadline_;
  net::cancellation_signal acquire_signal_;
  future<R> current_;
  std::exception_ptr stop_reason_;
  std::size_t attempts_ = 0;
  std::size_t abandoned_ = 0;
  bool acquiring_ = false;
  bool in_backoff_ = false;
  bool stopping_ = false;
  bool registered_ = false;
  bool cleaned_ = false;
};

} // namespace detail
} // namespace herd

#endif // HERD_DETAIL_MANAGED_TASK_HPP
