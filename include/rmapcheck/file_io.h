// file_io.h - the one atomic file writer and the one EINTR rule.
//
// Everything rmapcheck writes for a user (reports, counterexamples, C
// programs, pictures, saved oracle divergences) goes through
// write_file_atomic: a temporary file in the same directory, fsync, rename,
// with SIGINT and SIGTERM held back meanwhile, so an interrupted run leaves
// the old file or the new one, never half of one. Every read or write on a
// descriptor retries on EINTR through retry_eintr.
//
// Synopsis
//   write_file_atomic(path, text, error) -> bool    creates missing directories
//   write_all(fd, data, size) -> bool               the whole buffer, or false (errno set)
//   retry_eintr(call) -> result                     call() again while it fails with EINTR
#pragma once

#include <cerrno>
#include <cstddef>
#include <string>

namespace rmapcheck {

bool write_file_atomic(const std::string& path, const std::string& text, std::string& error);

bool write_all(int fd, const void* data, std::size_t size);

template <class Call>
auto retry_eintr(Call&& call) {
  for (;;) {
    auto r = call();
    if (!(r < 0 && errno == EINTR)) return r;
  }
}

}  // namespace rmapcheck
