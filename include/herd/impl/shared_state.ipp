//
// herd/impl/shared_state.ipp
// ~~~~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_IMPL_SHARED_STATE_IPP
#define HERD_IMPL_SHARED_STATE_IPP

#include <herd/detail/shared_state.hpp>

#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>
#include <string>

namespace herd {
namespace detail {

HERD_DECL std::exception_ptr state_base::cancelled_exception()
{
  return std::make_exception_ptr(cancelled_error("herd: task cancelled before it started"));
}

HERD_DECL void state_base::check_deadlock(const char* call) const
{
  if (!owner_ || !owner_->on_own_thread())
    return;
  const task_state s = state();
  if (s == task_state::pending || coroutine_ || owner_->thread_count() == 1)
    throw std::logic_error(std::string(call) +
                           ": blocking on a thread of the executor that must run the task could deadlock; "
                           "use async_wait (co_await) instead");
}

HERD_DECL task_state classify_failure(const std::exception_ptr& e, bool cancel_requested) noexcept
{
  try
  {
    std::rethrow_exception(e);
  }
  catch (const std::system_error& ex)
  {
    if (ex.code() == std::error_code(make_error_code(errc::cancelled)) ||
        (ex.code() == std::error_code(make_error_code(errc::shutdown)) && cancel_requested))
      return task_state::cancelled;
  }
  catch (const boost::system::system_error& ex)
  {
    if (cancel_requested && ex.code() == net::error::operation_aborted)
      return task_state::cancelled;
  }
  catch (...)
  {
  }
  return task_state::failed;
}

} // namespace detail
} // namespace herd

#endif // HERD_IMPL_SHARED_STATE_IPP
