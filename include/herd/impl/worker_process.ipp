//
// herd/impl/worker_process.ipp
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_IMPL_WORKER_PROCESS_IPP
#define HERD_IMPL_WORKER_PROCESS_IPP

#include <herd/detail/worker_process.hpp>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <system_error>

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

namespace herd {
namespace detail {

namespace {

// Whole-buffer I/O. MSG_NOSIGNAL: a dead peer gives EPIPE, not SIGPIPE.
bool write_all(int fd, const void* data, std::size_t n)
{
  auto p = static_cast<const char*>(data);
  while (n > 0)
  {
    ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

bool read_all(int fd, void* data, std::size_t n)
{
  auto p = static_cast<char*>(data);
  while (n > 0)
  {
    ssize_t r = ::recv(fd, p, n, 0);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return false;
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

std::string signal_name(int sig)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  if (const char* abbrev = ::sigabbrev_np(sig))
    return std::string("SIG") + abbrev + " (" + ::strsignal(sig) + ")";
#endif
  return "signal " + std::to_string(sig);
}

int reap(int pid) noexcept
{
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR)
  {
  }
  return status;
}

} // namespace

HERD_DECL bool write_frame(int fd, std::uint32_t tag, const std::string& bytes)
{
  std::uint32_t head[2] = {tag, static_cast<std::uint32_t>(bytes.size())};
  return write_all(fd, head, sizeof head) && write_all(fd, bytes.data(), bytes.size());
}

HERD_DECL bool read_frame(int fd, std::uint32_t& tag, std::string& bytes)
{
  std::uint32_t head[2];
  if (!read_all(fd, head, sizeof head))
    return false;
  tag = head[0];
  bytes.resize(head[1]);
  return read_all(fd, bytes.data(), bytes.size());
}

HERD_DECL child_handle spawn_child(void (*serve)(int fd, void* context), void* context)
{
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    throw std::system_error(errno, std::generic_category(), "herd::worker: socketpair");
  const pid_t pid = ::fork();
  if (pid < 0)
  {
    const int e = errno;
    ::close(sv[0]);
    ::close(sv[1]);
    throw std::system_error(e, std::generic_category(), "herd::worker: fork");
  }
  if (pid == 0)
  {
    // Keep only this end and the standard streams: copies of other
    // workers' sockets would keep their children from seeing an end.
    const long max_fd = ::sysconf(_SC_OPEN_MAX);
    for (int fd = 3; fd < (max_fd > 0 && max_fd < 65536 ? max_fd : 4096); ++fd)
      if (fd != sv[1])
        ::close(fd);
    // The parent's signal handlers (a test framework's, a server's) make no
    // sense here: a crash must end the child with its signal.
    for (int sig = 1; sig < NSIG; ++sig)
      if (sig != SIGKILL && sig != SIGSTOP)
        ::signal(sig, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    serve(sv[1], context);
    child_exit();
  }
  ::close(sv[1]);
  return child_handle{pid, sv[0]};
}

HERD_DECL void quit_child(child_handle& c) noexcept
{
  if (c.pid <= 0)
    return;
  write_frame(c.fd, quit_tag, std::string());
  ::close(c.fd);
  reap(c.pid);
  c = child_handle{};
}

HERD_DECL void child_died(child_handle& c)
{
  ::close(c.fd);
  const int status = reap(c.pid);
  c = child_handle{};
  if (WIFSIGNALED(status))
    throw worker_crash_error("herd::worker: the worker process was killed by " + signal_name(WTERMSIG(status)) +
                                 " during the call; the next call starts a new process",
                             WTERMSIG(status));
  throw worker_crash_error("herd::worker: the worker process exited with status " +
                               std::to_string(WEXITSTATUS(status)) +
                               " during the call; the next call starts a new process",
                           0);
}

HERD_DECL void child_exit() noexcept
{
  ::_exit(0);
}

} // namespace detail
} // namespace herd

#endif // HERD_IMPL_WORKER_PROCESS_IPP
