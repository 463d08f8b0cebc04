// file_io.cpp - see file_io.h.
#include "rmapcheck/file_io.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <system_error>

namespace rmapcheck {

bool write_all(int fd, const void* data, std::size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = retry_eintr([&] { return ::write(fd, p, size); });
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

bool write_file_atomic(const std::string& path, const std::string& text, std::string& error) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      error = parent.string() + ": " + ec.message();
      return false;
    }
  }
  // SIGINT/SIGTERM are held back while the file is written and renamed, so
  // an interrupted run leaves the old file or the new one, never half.
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  sigprocmask(SIG_BLOCK, &block, &old);
  const std::string tmp = path + ".tmp." + std::to_string(getpid());
  bool ok = false;
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    error = path + ": " + std::strerror(errno);
  } else if (!write_all(fd, text.data(), text.size()) || fsync(fd) != 0) {
    error = path + ": " + std::strerror(errno);
    close(fd);
    unlink(tmp.c_str());
  } else if (close(fd) != 0 || rename(tmp.c_str(), path.c_str()) != 0) {
    error = path + ": " + std::strerror(errno);
    unlink(tmp.c_str());
  } else {
    ok = true;
  }
  sigprocmask(SIG_SETMASK, &old, nullptr);
  return ok;
}

}  // namespace rmapcheck
