// The HTTP server every process runs (common/http_server.h), as a scraper or a desk uses it:
// one request per connection, and a connection leaves nothing behind — no descriptor, no
// memory (libsoup 3.2's own listener kept ~340 bytes of every connection it accepted).
#include <arpa/inet.h>
#include <dirent.h>
#include <glib.h>
#include <gtest/gtest.h>
#include <malloc.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

#include "common/http_server.h"

#if defined(__SANITIZE_ADDRESS__)
// The sanitizer runtime's (sanitizer/allocator_interface.h, which GCC does not install).
extern "C" size_t __sanitizer_get_current_allocated_bytes();
#endif

namespace xl {
namespace {

// Bytes the program has allocated and not freed (AddressSanitizer has its own allocator).
long HeapInUse() {
#if defined(__SANITIZE_ADDRESS__)
  return long(__sanitizer_get_current_allocated_bytes());
#else
  return long(mallinfo2().uordblks);
#endif
}

// One GET over a fresh connection, read until the server closes it; "" when it failed.
std::string Get(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(uint16_t(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string reply;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) == ssize_t(request.size())) {
      char buf[4096];
      for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) reply.append(buf, size_t(n));
    }
  }
  close(fd);
  return reply;
}

int OpenDescriptors() {
  int n = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (readdir(d)) ++n;
    closedir(d);
  }
  return n;
}

class HttpServerTest : public ::testing::Test {
 protected:
  HttpServerTest() {
    auto made = HttpServer::Listen("127.0.0.1", 0);
    EXPECT_TRUE(made.ok()) << made.error().message;
    server_ = std::move(made.value());
    server_->Route("/metrics", [](const HttpRequest&) { return HttpReply{200, "text/plain", std::string(2000, 'x')}; });
  }
  // Runs `client` on a thread of its own while this thread runs the server's loop.
  void WithLoop(const std::function<void()>& client) {
    std::atomic<bool> done = false;
    std::thread t([&] {
      client();
      done = true;
      g_main_context_wakeup(nullptr);
    });
    while (!done) g_main_context_iteration(nullptr, TRUE);
    t.join();
    while (g_main_context_iteration(nullptr, FALSE)) {}
  }
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, AnswersAndClosesEachConnection) {
  std::string found, missing;
  WithLoop([&] {
    found = Get(server_->port(), "/metrics");
    missing = Get(server_->port(), "/nothing");
  });
  EXPECT_EQ(found.rfind("HTTP/1.1 200", 0), 0u) << found;
  EXPECT_NE(found.find("Connection: close"), std::string::npos) << found;
  EXPECT_NE(found.find(std::string(2000, 'x')), std::string::npos);
  EXPECT_EQ(missing.rfind("HTTP/1.1 404", 0), 0u) << missing;
}

TEST_F(HttpServerTest, ThousandsOfConnectionsLeaveNoDescriptorAndNoMemoryBehind) {
  int answered = 0;
  WithLoop([&] {
    for (int i = 0; i < 200; ++i) answered += Get(server_->port(), "/metrics").rfind("HTTP/1.1 200", 0) == 0;
  });
  const int fds = OpenDescriptors();
  const long heap = HeapInUse();
  WithLoop([&] {
    for (int i = 0; i < 3000; ++i) answered += Get(server_->port(), "/metrics").rfind("HTTP/1.1 200", 0) == 0;
  });
  EXPECT_EQ(answered, 3200);
  EXPECT_EQ(OpenDescriptors(), fds);
  // Leaking the socket object of each connection would be ~1 MB here.
  const long grown = HeapInUse() - heap;
  EXPECT_LT(grown, 150 * 1024) << "the heap grew by " << grown << " bytes over 3,000 connections";
}

}  // namespace
}  // namespace xl
