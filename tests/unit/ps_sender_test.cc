// PsSender (router/gb_upward/ps_sender.h) on real loopback sockets: a camera's frames as
// MPEG-PS over RTP with the upper platform's SSRC, over UDP, over TCP when the upper listens
// (setup:passive in its offer: we connect) and when it connects (setup:active: we listen);
// frames before the path is ready wait and go first, from their keyframe.
#include <gio/gio.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "common/gst_handles.h"
#include "proto/media/rtp_packet.h"
#include "router/gb_upward/ps_sender.h"
#include "tests/support/video_frames.h"

namespace xl::router {
namespace {

LiveFramePtr Frame(uint64_t seq, bool key) {
  auto f = std::make_shared<LiveFrame>();
  f->video.set_camera_id("33010201001310000001");
  f->video.set_codec("h264");
  f->video.set_keyframe(key);
  f->video.set_seq(seq);
  f->video.set_pts_us(int64_t(seq) * 40000);
  f->video.set_dts_us(int64_t(seq) * 40000);
  f->video.set_data(test::TinyH264Unit(key));
  return f;
}

gb28181::MediaDescription Offer(const std::string& transport, const std::string& setup, int port) {
  gb28181::MediaDescription o;
  o.ip = "127.0.0.1";
  o.port = port;
  o.transport = transport;
  o.setup = setup;
  o.ssrc = "0100000042";
  return o;
}

// Runs the default context until `done` or 5 s.
template <typename F>
bool Spin(F done) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!done() && std::chrono::steady_clock::now() < until) {
    if (!g_main_context_iteration(nullptr, FALSE)) g_usleep(2000);
  }
  return done();
}

// The RTP packets in RFC 4571 framed bytes.
std::vector<std::string> Unframe(const std::string& bytes) {
  std::vector<std::string> out;
  for (size_t at = 0; at + 2 <= bytes.size();) {
    const size_t n = (uint8_t(bytes[at]) << 8) | uint8_t(bytes[at + 1]);
    if (at + 2 + n > bytes.size()) break;
    out.push_back(bytes.substr(at + 2, n));
    at += 2 + n;
  }
  return out;
}

void ExpectPsOverRtp(const std::vector<std::string>& packets, size_t at_least) {
  ASSERT_GE(packets.size(), at_least);
  auto first = rtp::ParseRtp(packets[0]);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->ssrc, 100000042u) << "the SSRC the upper gave";
  EXPECT_EQ(first->payload_type, 96);
  EXPECT_EQ(first->payload.substr(0, 4), std::string("\x00\x00\x01\xba", 4)) << "a PS pack header first";
  EXPECT_TRUE(first->marker) << "one small frame, one packet";
}

// Reads what arrived on a non-blocking stream socket.
std::string Drain(GSocket* s) {
  std::string got;
  char buf[4096];
  for (gssize n; (n = g_socket_receive(s, buf, sizeof buf, nullptr, nullptr)) > 0;) got.append(buf, size_t(n));
  return got;
}

TEST(PsSender, OverUdp) {
  gst::GObjectPtr<GSocket> rx(
      g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, nullptr));
  gst::GObjectPtr<GSocketAddress> any(g_inet_socket_address_new_from_string("127.0.0.1", 0));
  ASSERT_TRUE(g_socket_bind(rx.get(), any.get(), FALSE, nullptr));
  g_socket_set_blocking(rx.get(), FALSE);
  gst::GObjectPtr<GSocketAddress> bound(g_socket_get_local_address(rx.get(), nullptr));
  const int port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound.get()));

  auto s = PsSender::Open(Offer("udp", "", port), "127.0.0.1", [](const std::string&) {});
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s.value()->Ours().transport, "udp");
  EXPECT_GT(s.value()->Ours().port, 0);
  EXPECT_TRUE(s.value()->Offer(Frame(1, false))) << "nothing to build on: dropped, not refused";
  EXPECT_TRUE(s.value()->Offer(Frame(2, true)));  // waits for the ACK
  s.value()->Start();
  EXPECT_TRUE(s.value()->Offer(Frame(3, false)));
  std::vector<std::string> packets;
  ASSERT_TRUE(Spin([&] {
    char buf[2048];
    for (gssize n; (n = g_socket_receive(rx.get(), buf, sizeof buf, nullptr, nullptr)) > 0;)
      packets.emplace_back(buf, size_t(n));
    return packets.size() >= 2;
  }));
  ExpectPsOverRtp(packets, 2);
  EXPECT_EQ(s.value()->stats().frames, 2u) << "the keyframe that waited, then the next";
}

TEST(PsSender, OverTcpConnectingToAnUpperThatListens) {
  gst::GObjectPtr<GSocket> listener(
      g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, nullptr));
  gst::GObjectPtr<GSocketAddress> any(g_inet_socket_address_new_from_string("127.0.0.1", 0));
  ASSERT_TRUE(g_socket_bind(listener.get(), any.get(), FALSE, nullptr));
  ASSERT_TRUE(g_socket_listen(listener.get(), nullptr));
  g_socket_set_blocking(listener.get(), FALSE);
  gst::GObjectPtr<GSocketAddress> bound(g_socket_get_local_address(listener.get(), nullptr));
  const int port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound.get()));

  std::string failed;
  auto s = PsSender::Open(Offer("tcp", "passive", port), "127.0.0.1", [&](const std::string& why) { failed = why; });
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s.value()->Ours().setup, "active");
  s.value()->Offer(Frame(1, true));
  s.value()->Offer(Frame(2, false));
  s.value()->Start();
  gst::GObjectPtr<GSocket> peer;
  ASSERT_TRUE(Spin([&] {
    if (!peer) peer.reset(g_socket_accept(listener.get(), nullptr, nullptr));
    return peer != nullptr;
  }));
  g_socket_set_blocking(peer.get(), FALSE);
  s.value()->Offer(Frame(3, false));
  std::string got;
  ASSERT_TRUE(Spin([&] {
    got += Drain(peer.get());
    return Unframe(got).size() >= 3;
  })) << failed;
  ExpectPsOverRtp(Unframe(got), 3);
  EXPECT_TRUE(failed.empty()) << failed;

  // The upper closes the connection: the call is reported failed.
  g_socket_close(peer.get(), nullptr);
  ASSERT_TRUE(Spin([&] {
    for (uint64_t i = 4; i < 200 && failed.empty(); ++i) s.value()->Offer(Frame(i, i % 25 == 0));
    return !failed.empty();
  }));
  EXPECT_NE(failed.find("media connection"), std::string::npos) << failed;
}

TEST(PsSender, OverTcpListeningForAnUpperThatConnects) {
  std::string failed;
  auto s = PsSender::Open(Offer("tcp", "active", 9), "127.0.0.1", [&](const std::string& why) { failed = why; });
  ASSERT_TRUE(s.ok()) << s.error().message;
  const gb28181::MediaDescription ours = s.value()->Ours();
  EXPECT_EQ(ours.setup, "passive");
  ASSERT_GT(ours.port, 0);
  s.value()->Offer(Frame(1, true));
  s.value()->Start();

  // A stranger (another address than the offer's) connects first: it is closed, and gets nothing.
  gst::GObjectPtr<GSocketClient> stranger(g_socket_client_new());
  gst::GObjectPtr<GSocketAddress> elsewhere(g_inet_socket_address_new_from_string("127.0.0.2", 0));
  g_socket_client_set_local_address(stranger.get(), elsewhere.get());
  gst::GObjectPtr<GSocketConnection> sc(
      g_socket_client_connect_to_host(stranger.get(), "127.0.0.1", guint16(ours.port), nullptr, nullptr));
  ASSERT_TRUE(sc);
  GSocket* spy = g_socket_connection_get_socket(sc.get());
  g_socket_set_blocking(spy, FALSE);
  bool closed = false;
  ASSERT_TRUE(Spin([&] {
    char b[64];
    closed = g_socket_receive(spy, b, sizeof b, nullptr, nullptr) == 0;
    return closed;
  }));
  EXPECT_TRUE(failed.empty()) << failed;

  gst::GObjectPtr<GSocketClient> client(g_socket_client_new());
  gst::GObjectPtr<GSocketConnection> c(
      g_socket_client_connect_to_host(client.get(), "127.0.0.1", guint16(ours.port), nullptr, nullptr));
  ASSERT_TRUE(c);
  GSocket* peer = g_socket_connection_get_socket(c.get());
  g_socket_set_blocking(peer, FALSE);
  std::string got;
  ASSERT_TRUE(Spin([&] {
    s.value()->Offer(Frame(2, false));
    got += Drain(peer);
    return Unframe(got).size() >= 2;
  })) << failed;
  ExpectPsOverRtp(Unframe(got), 2);
}

TEST(PsSender, AnUpperThatNeverConnectsFailsTheCall) {
  std::string failed;
  auto s = PsSender::Open(Offer("tcp", "active", 9), "127.0.0.1", [&](const std::string& why) { failed = why; });
  ASSERT_TRUE(s.ok());
  s.value()->Start();
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(PsSender::kAcceptWaitMs + 3000);
  while (failed.empty() && std::chrono::steady_clock::now() < until) {
    if (!g_main_context_iteration(nullptr, FALSE)) g_usleep(5000);
  }
  EXPECT_NE(failed.find("never connected"), std::string::npos) << failed;
}

}  // namespace
}  // namespace xl::router
