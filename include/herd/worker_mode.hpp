//
// herd/worker_mode.hpp
// ~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_WORKER_MODE_HPP
#define HERD_WORKER_MODE_HPP

namespace herd
{

/// Where a worker's object lives and its calls run (concurry's modes).
enum class worker_mode
{
  sync,   ///< In the calling thread, inside call(); the future is ready when call() returns.
  strand, ///< On a strand of the given executor (the default): one call at a time, no thread of its own.
  thread, ///< On a dedicated thread the worker owns.
  process ///< In a forked child process (crash isolation); registered methods only, see HERD_WORKER_METHODS.
};

} // namespace herd

#endif // HERD_WORKER_MODE_HPP
