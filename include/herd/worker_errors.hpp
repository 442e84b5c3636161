//
// herd/worker_errors.hpp
// ~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_WORKER_ERRORS_HPP
#define HERD_WORKER_ERRORS_HPP

#include <stdexcept>
#include <string>

namespace herd {

/// A process-mode worker's child died during a call (a signal, or an exit).
class worker_crash_error : public std::runtime_error
{
public:
  worker_crash_error(const std::string& what, int signal) : std::runtime_error(what), signal_(signal) {}

  /// The signal that killed the child, or 0 if it exited.
  int signal() const noexcept { return signal_; }

private:
  int signal_;
};

/// A method of a process-mode worker threw: its message, carried back.
class worker_remote_error : public std::runtime_error
{
public:
  using std::runtime_error::runtime_error;
};

} // namespace herd

#endif // HERD_WORKER_ERRORS_HPP
