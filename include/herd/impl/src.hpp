//
// herd/impl/src.hpp
// ~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//
// Include this in exactly one translation unit to compile herd's
// non-template code (src/herd.cpp does).

#ifndef HERD_IMPL_SRC_HPP
#define HERD_IMPL_SRC_HPP

#if defined(HERD_HEADER_ONLY)
#error "Do not compile the herd sources when HERD_HEADER_ONLY is defined"
#endif

#include <herd/impl/error.ipp>
#include <herd/impl/executor_impl.ipp>
#include <herd/impl/progress.ipp>
#include <herd/impl/shared_state.ipp>
#include <herd/impl/wait.ipp>
#include <herd/impl/worker_process.ipp>

#endif // HERD_IMPL_SRC_HPP
