//
// herd/worker_methods.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_WORKER_METHODS_HPP
#define HERD_WORKER_METHODS_HPP

namespace herd {

/// The methods of T that a process-mode worker may call: specialised by
/// HERD_WORKER_METHODS (<herd/worker_process.hpp>).
template <class T>
struct worker_methods;

} // namespace herd

#endif // HERD_WORKER_METHODS_HPP
