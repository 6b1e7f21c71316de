#pragma once
/// A free TCP port on 127.0.0.1 for a test's rendezvous.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace xreg::testing {

/// A port the kernel just handed out, so free unless another process takes it meanwhile.
inline int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

}  // namespace xreg::testing
