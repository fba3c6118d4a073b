// Sealed live video (proto/wire/sealed_video.h, router/live/video_keys.h): a frame sealed once
// opens with its camera's key only, unaltered and as that camera's; a client keeps a camera's
// newest two keys; the router seals each frame once per key.
#include <gtest/gtest.h>

#include "proto/wire/sealed_video.h"
#include "router/live/video_keys.h"

namespace xl {
namespace {

constexpr const char* kCameraA = "33010201011320000001";
constexpr const char* kCameraB = "33010201011320000002";

wire::VideoFrame Frame(const std::string& camera, uint64_t seq) {
  wire::VideoFrame f;
  f.set_camera_id(camera);
  f.set_codec("h264");
  f.set_keyframe(seq == 1);
  f.set_seq(seq);
  f.set_data(std::string("\x00\x00\x00\x01\x65", 5) + std::string(1000, char(seq)));
  return f;
}

wire::SealedVideo Parse(const std::string& bytes) {
  wire::SealedVideo s;
  EXPECT_TRUE(s.ParseFromString(bytes));
  return s;
}

TEST(SealedVideo, OpensWithItsCamerasKeyOnlyAndUnaltered) {
  const wire::VideoKey a = NewVideoKey(kCameraA, 1), b = NewVideoKey(kCameraB, 2);
  const wire::VideoFrame frame = Frame(kCameraA, 7);
  const wire::SealedVideo sealed = Parse(SealVideoFrame(frame.SerializeAsString(), a));
  EXPECT_EQ(sealed.box().find(frame.data()), std::string::npos) << "the picture is readable";

  auto opened = OpenVideoFrame(sealed, a);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(opened->SerializeAsString(), frame.SerializeAsString());

  EXPECT_FALSE(OpenVideoFrame(sealed, b).ok()) << "another camera's key";
  EXPECT_FALSE(OpenVideoFrame(sealed, NewVideoKey(kCameraA, 1)).ok()) << "a new key under the old ID";
  wire::SealedVideo altered = sealed;
  altered.mutable_box()->at(10) ^= 1;
  EXPECT_FALSE(OpenVideoFrame(altered, a).ok()) << "one bit changed";
  wire::SealedVideo moved = sealed;
  moved.set_camera_id(kCameraB);
  wire::VideoKey a_as_b = a;
  a_as_b.set_camera_id(kCameraB);
  EXPECT_FALSE(OpenVideoFrame(moved, a_as_b).ok()) << "passed off as another camera's";
  wire::SealedVideo short_box = sealed;
  short_box.set_box("x");
  EXPECT_FALSE(OpenVideoFrame(short_box, a).ok());
  EXPECT_NE(NewVideoTicket(), NewVideoTicket());
}

TEST(SealedVideo, AClientKeepsACamerasNewestTwoKeys) {
  zmq::context_t ctx(1);
  SealedVideoInbox inbox(ctx, "tcp://127.0.0.1:5556");
  std::vector<wire::VideoKey> keys;
  for (uint32_t id = 1; id <= 3; ++id) {
    keys.push_back(NewVideoKey(kCameraA, id));
    wire::ServerMessage m;
    *m.mutable_video_key() = keys.back();
    EXPECT_TRUE(inbox.OnServerMessage(m));
  }
  auto open = [&](const wire::VideoKey& key) {
    const std::string bytes = SealVideoFrame(Frame(kCameraA, 1).SerializeAsString(), key);
    return inbox.Open(zmq::message_t(bytes.data(), bytes.size())).has_value();
  };
  EXPECT_FALSE(open(keys[0])) << "the oldest key is gone";
  EXPECT_TRUE(open(keys[1]));
  EXPECT_TRUE(open(keys[2]));
  EXPECT_FALSE(open(NewVideoKey(kCameraB, 3))) << "no key of that camera";
  EXPECT_EQ(inbox.dropped(), 2u);
  wire::ServerMessage other;
  other.set_heartbeat_seq(1);
  EXPECT_FALSE(inbox.OnServerMessage(other));
  EXPECT_EQ(inbox.socket(), nullptr) << "no video connection before a VideoAccess";
}

TEST(SealedVideo, TheRouterSealsEachFrameOncePerKey) {
  router::VideoKeys keys;
  router::LiveFrame frame;
  frame.video = Frame(kCameraA, 1);
  frame.client_message = "xx" + frame.video.SerializeAsString();
  frame.video_offset = 2;
  auto first = keys.Sealed(frame);
  EXPECT_EQ(keys.Sealed(frame).get(), first.get()) << "sealed again for a second viewer";
  auto opened = OpenVideoFrame(Parse(*first), keys.Key(kCameraA));
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->seq(), 1u);

  const uint32_t old_id = keys.Key(kCameraA).key_id();
  keys.Rotate();
  EXPECT_NE(keys.Key(kCameraA).key_id(), old_id);
  auto renewed = keys.Sealed(frame);
  EXPECT_NE(renewed.get(), first.get());
  EXPECT_TRUE(OpenVideoFrame(Parse(*renewed), keys.Key(kCameraA)).ok());
  EXPECT_FALSE(OpenVideoFrame(Parse(*first), keys.Key(kCameraA)).ok()) << "the old key opens nothing new";
}

}  // namespace
}  // namespace xl
