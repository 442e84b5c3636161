//
// herd/task_state.hpp
// ~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_TASK_STATE_HPP
#define HERD_TASK_STATE_HPP

#include <cstdint>

namespace herd {

/// The life cycle of a task or promise.
enum class task_state : std::uint8_t
{
  pending,   ///< Accepted, not started (queued, or a promise not yet set).
  running,   ///< Started on the executor.
  completed, ///< Finished with a value.
  failed,    ///< Finished with an exception.
  cancelled  ///< Cancelled; exception() is the cancellation error.
};

} // namespace herd

#endif // HERD_TASK_STATE_HPP
