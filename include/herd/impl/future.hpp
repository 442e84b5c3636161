//
// herd/impl/future.hpp
// ~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_IMPL_FUTURE_HPP
#define HERD_IMPL_FUTURE_HPP

#include <boost/asio/associated_allocator.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/recycling_allocator.hpp>
#include <boost/asio/system_executor.hpp>
#include <boost/system/system_error.hpp>

namespace herd {
namespace detail {

template <class T>
wait_value_t<T> wait_value(const std::shared_ptr<shared_state<T>>& s)
{
  const bool ok = s->state() == task_state::completed;
  if constexpr (std::is_same_v<wait_value_t<T>, T>)
    return ok ? s->value() : T();
  else
    return ok ? std::shared_ptr<const T>(s, std::addressof(s->value())) : nullptr;
}

inline std::exception_ptr aborted_exception()
{
  return std::make_exception_ptr(boost::system::system_error(net::error::operation_aborted));
}

// One pending async_wait: parked on the state until it settles, then
// completed on the handler's executor.
template <class T, class Handler>
class future_wait_op : public waiter_node
{
  using handler_executor = net::associated_executor_t<Handler, net::system_executor>;
  using work_executor = std::decay_t<decltype(net::prefer(std::declval<handler_executor>(),
                                                          net::execution::outstanding_work.tracked))>;
  using allocator = typename std::allocator_traits<
      net::associated_allocator_t<Handler, net::recycling_allocator<void>>>::template rebind_alloc<future_wait_op>;

public:
  static void start(std::shared_ptr<shared_state<T>> s, Handler&& h)
  {
    allocator alloc(net::get_associated_allocator(h, net::recycling_allocator<void>()));
    future_wait_op* op = std::allocator_traits<allocator>::allocate(alloc, 1);
    try
    {
      ::new (static_cast<void*>(op)) future_wait_op(std::move(s), std::move(h));
    }
    catch (...)
    {
      std::allocator_traits<allocator>::deallocate(alloc, op, 1);
      throw;
    }
    auto slot = net::get_associated_cancellation_slot(op->handler_);
    if (slot.is_connected())
      slot.template emplace<cancel_handler>(op);
    if (!op->state_->add_waiter(op))
      net::post(op->work_, completer{op}); // never complete inside the initiating call
  }

private:
  struct completer
  {
    future_wait_op* op_;
    void operator()() { op_->invoke(); }
  };

  struct cancel_handler
  {
    explicit cancel_handler(future_wait_op* op) noexcept : op_(op) {}
    void operator()(net::cancellation_type type)
    {
      constexpr auto supported =
          net::cancellation_type::terminal | net::cancellation_type::partial | net::cancellation_type::total;
      if ((type & supported) != net::cancellation_type::none && op_->state_->remove_waiter(op_))
      {
        op_->aborted_ = true;
        net::post(op_->work_, completer{op_});
      }
    }
    future_wait_op* op_;
  };

  future_wait_op(std::shared_ptr<shared_state<T>> s, Handler&& h)
    : state_(std::move(s)),
      handler_(std::move(h)),
      work_(net::prefer(net::get_associated_executor(handler_, net::system_executor()),
                        net::execution::outstanding_work.tracked))
  {
    this->complete_ = &on_settled;
  }

  static void on_settled(waiter_node* n) noexcept
  {
    auto* op = static_cast<future_wait_op*>(n);
    net::dispatch(op->work_, completer{op});
  }

  // Runs on the handler's executor: clear the slot, free the op, then upcall.
  void invoke()
  {
    auto slot = net::get_associated_cancellation_slot(handler_);
    if (slot.is_connected())
      slot.clear();
    Handler handler(std::move(handler_));
    std::shared_ptr<shared_state<T>> s(std::move(state_));
    const bool aborted = aborted_;
    allocator alloc(net::get_associated_allocator(handler, net::recycling_allocator<void>()));
    this->~future_wait_op();
    std::allocator_traits<allocator>::deallocate(alloc, this, 1);

    if constexpr (std::is_void_v<T>)
      std::move(handler)(aborted ? aborted_exception() : s->error());
    else if (aborted)
      std::move(handler)(aborted_exception(), wait_value_t<T>());
    else
      std::move(handler)(s->error(), wait_value(s));
  }

  std::shared_ptr<shared_state<T>> state_;
  Handler handler_;
  work_executor work_;
  bool aborted_ = false;
};

class initiate_future_wait
{
public:
  template <class Handler, class T>
  void operator()(Handler&& handler, std::shared_ptr<shared_state<T>> s) const
  {
    using op = future_wait_op<T, std::decay_t<Handler>>;
    std::decay_t<Handler> h(std::forward<Handler>(handler));
    op::start(std::move(s), std::move(h));
  }
};

} // namespace detail

template <class T>
template <class CompletionToken>
auto future<T>::async_wait(CompletionToken&& token) const
{
  checked();
  return net::async_initiate<CompletionToken, wait_signature>(detail::initiate_future_wait(), token, state_);
}

} // namespace herd

#endif // HERD_IMPL_FUTURE_HPP
