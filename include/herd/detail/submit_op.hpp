//
// herd/detail/submit_op.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_DETAIL_SUBMIT_OP_HPP
#define HERD_DETAIL_SUBMIT_OP_HPP

#include <herd/config.hpp>
#include <herd/detail/executor_impl.hpp>
#include <herd/detail/shared_state.hpp>

#include <boost/asio/associated_allocator.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/recycling_allocator.hpp>
#include <atomic>
#include <functional>
#include <optional>
#include <type_traits>

namespace herd {

/// The value argument of async_submit's completion for a task returning R.
/**
 * R itself when it is default-constructible (a default value accompanies an
 * exception), otherwise `std::optional<R>` (empty alongside an exception).
 */
template <class R>
using submit_value_t = std::conditional_t<std::is_default_constructible_v<R>, R, std::optional<R>>;

namespace detail {

template <class R>
struct submit_signature
{
  using type = void(std::exception_ptr, submit_value_t<R>);
};
template <>
struct submit_signature<void>
{
  using type = void(std::exception_ptr);
};

// One async_submit: the callable, the handler and the outcome in one
// allocation from the handler's allocator. Two references: the runner on the
// pool and the completion on the handler's executor; the last one frees.
template <class R, class F, class Handler>
class submit_op
{
  // A handler without an executor of its own completes on the pool's (as an
  // Asio I/O object's operations complete on the object's executor).
  using handler_executor = net::associated_executor_t<Handler, net::any_io_executor>;
  using work_executor = std::decay_t<decltype(net::prefer(std::declval<handler_executor>(),
                                                          net::execution::outstanding_work.tracked))>;
  using allocator = typename std::allocator_traits<
      net::associated_allocator_t<Handler, net::recycling_allocator<void>>>::template rebind_alloc<submit_op>;

  enum phase : int
  {
    queued,
    running,
    cancelled
  };

public:
  static void start(executor_impl* impl, F&& f, Handler&& h)
  {
    allocator alloc(net::get_associated_allocator(h, net::recycling_allocator<void>()));
    submit_op* op = std::allocator_traits<allocator>::allocate(alloc, 1);
    try
    {
      ::new (static_cast<void*>(op)) submit_op(impl, std::move(f), std::move(h), alloc);
    }
    catch (...)
    {
      std::allocator_traits<allocator>::deallocate(alloc, op, 1);
      throw;
    }
    auto slot = net::get_associated_cancellation_slot(op->handler_);
    if (slot.is_connected())
      slot.template emplace<cancel_handler>(op);
    impl->post(runner{op});
  }

private:
  struct runner
  {
    submit_op* op_;
    void operator()() { op_->run(); }
  };

  struct completer
  {
    submit_op* op_;
    void operator()() { op_->invoke(); }
  };

  struct cancel_handler
  {
    explicit cancel_handler(submit_op* op) noexcept : op_(op) {}
    void operator()(net::cancellation_type type)
    {
      constexpr auto supported =
          net::cancellation_type::terminal | net::cancellation_type::partial | net::cancellation_type::total;
      int expected = queued;
      if ((type & supported) != net::cancellation_type::none &&
          op_->phase_.compare_exchange_strong(expected, cancelled, std::memory_order_acq_rel))
      {
        op_->error_ = state_base::cancelled_exception();
        net::post(*op_->work_, completer{op_});
      }
    }
    submit_op* op_;
  };

  submit_op(executor_impl* impl, F&& f, Handler&& h, const allocator& alloc)
    : impl_(impl),
      f_(std::move(f)),
      handler_(std::move(h)),
      work_(net::prefer(net::get_associated_executor(handler_, impl->executor()),
                        net::execution::outstanding_work.tracked)),
      alloc_(alloc)
  {
  }

  void run() noexcept
  {
    executor_impl* impl = impl_;
    executor_impl::scope running_here(impl);
    int expected = queued;
    if (impl->cancelling_queued() &&
        phase_.compare_exchange_strong(expected, cancelled, std::memory_order_acq_rel))
    {
      error_ = executor_impl::shutdown_exception();
      impl->on_cancelled_queued();
      impl->release();
      net::post(*work_, completer{this}); // never inline: run() is noexcept, the handler may throw
      drop();
      return;
    }
    expected = queued;
    if (!phase_.compare_exchange_strong(expected, running, std::memory_order_acq_rel))
    {
      // Cancelled through the slot; the completion is already on its way.
      impl->on_cancelled_queued();
      impl->release();
      drop();
      return;
    }
    impl->on_started();
    task_state outcome = task_state::completed;
    try
    {
      if constexpr (std::is_void_v<R>)
        std::invoke(std::move(f_));
      else
        value_.emplace(std::invoke(std::move(f_)));
    }
    catch (...)
    {
      error_ = std::current_exception();
      outcome = classify_failure(error_, false);
    }
    impl->on_finished(outcome);
    impl->release();
    net::post(*work_, completer{this}); // never inline: run() is noexcept, the handler may throw
    drop();
  }

  // On the handler's executor: clear the slot, release the op, upcall.
  void invoke()
  {
    auto slot = net::get_associated_cancellation_slot(handler_);
    if (slot.is_connected())
      slot.clear();
    Handler handler(std::move(handler_));
    std::exception_ptr e = std::move(error_);
    // The runner may still hold the op (a cancelled task not yet reached);
    // the handler's executor must not wait for that.
    work_.reset();
    if constexpr (std::is_void_v<R>)
    {
      drop();
      std::move(handler)(std::move(e));
    }
    else
    {
      submit_value_t<R> v{};
      if (!e && value_)
      {
        if constexpr (std::is_default_constructible_v<R>)
          v = std::move(*value_);
        else
          v.emplace(std::move(*value_));
      }
      drop();
      std::move(handler)(std::move(e), std::move(v));
    }
  }

  void drop() noexcept
  {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1)
    {
      allocator alloc(alloc_);
      this->~submit_op();
      std::allocator_traits<allocator>::deallocate(alloc, this, 1);
    }
  }

  executor_impl* impl_;
  F f_;
  Handler handler_;
  std::optional<work_executor> work_; // reset once the completion runs
  allocator alloc_;
  std::exception_ptr error_;
  std::conditional_t<std::is_void_v<R>, bool, std::optional<std::conditional_t<std::is_void_v<R>, int, R>>> value_{};
  std::atomic<int> phase_{queued};
  std::atomic<int> refs_{2};
};

// The initiation carries the pool's executor: a handler without one of its
// own completes there, and experimental::use_promise makes its handler from
// it (without it, Asio would pick the system executor).
class initiate_submit
{
public:
  using executor_type = net::any_io_executor;

  explicit initiate_submit(executor_impl* impl) noexcept : impl_(impl) {}

  executor_type get_executor() const { return impl_->executor(); }

  template <class Handler, class R, class F>
  void operator()(Handler&& handler, R*, F&& f) const
  {
    executor_impl* impl = impl_;
    using op = submit_op<R, std::decay_t<F>, std::decay_t<Handler>>;
    std::decay_t<Handler> h(std::forward<Handler>(handler));
    std::decay_t<F> fn(std::forward<F>(f));
    impl->accept();
    try
    {
      op::start(impl, std::move(fn), std::move(h));
    }
    catch (...)
    {
      impl->end_accept();
      impl->release();
      throw;
    }
    impl->end_accept();
  }

private:
  executor_impl* impl_;
};

} // namespace detail
} // namespace herd

#endif // HERD_DETAIL_SUBMIT_OP_HPP
