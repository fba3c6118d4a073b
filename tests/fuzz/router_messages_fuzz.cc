// libFuzzer target: the router's handlers of ZeroMQ messages from peers — a worker's control
// messages (router/workers/worker_control.h), a native client's requests
// (router/alerts/client_hub.h, sealed video on), a hello on the video endpoint with any
// ticket, a worker's video frames (router/live/live_relay.h) and a child router's link messages
// (router/cascade/child_links.h: alerts, catalogs, hellos, handling steps) — over real SQLite stores and
// real (unconnected) sockets, and a native client opening sealed frames
// (proto/wire/sealed_video.h), must take any bytes without a crash, a hang or an exception.
// Input: byte 0 picks the handler and the sender (a worker under its own or another name; a
// client of the whole system or of one village), the rest is the message body. After each
// input the handlers' periodic work runs too.
#include <spdlog/spdlog.h>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <zmq.hpp>

#include "fuzz_seed.h"
#include "proto/wire/sealed_video.h"
#include "router/alerts/alert_log.h"
#include "router/alerts/client_hub.h"
#include "router/cascade/child_links.h"
#include "router/desk/alert_desk.h"
#include "router/keys/key_store.h"
#include "router/live/live_relay.h"
#include "router/registry/camera_store.h"
#include "router/workers/camera_states.h"
#include "router/workers/worker_control.h"

namespace {

using namespace xl::router;

struct Router {
  zmq::context_t ctx{1};
  zmq::socket_t control_socket{ctx, zmq::socket_type::router};
  zmq::socket_t client_socket{ctx, zmq::socket_type::router};
  zmq::socket_t video_socket{ctx, zmq::socket_type::router};
  std::unique_ptr<AlertLog> log;
  std::unique_ptr<CameraStore> store;
  CameraStates states{15000, [](const xl::wire::Camera&) {}};
  LiveRelay relay;
  std::unique_ptr<WorkerControl> control;
  std::unique_ptr<ClientHub> hub;
  std::unique_ptr<KeyStore> keys;
  std::unique_ptr<AlertDesk> desk;
  xl::delivery::Inbox child_inbox;
  std::unique_ptr<ChildLinks> children;
  const PeerKey child{"rq:A+ER5.QD7(0c!q}2=/!y]S1aB#Fwa@ffDrPzW", PeerKind::kChild, "东村", 0, "33010201"};
  int64_t now = 1000;

  Router() {
    spdlog::set_level(spdlog::level::off);  // every refused input logs a line: noise here
    char dir[] = "/tmp/xl-router-fuzz-XXXXXX";
    const std::string db = std::string(mkdtemp(dir)) + "/router.db";
    log = std::move(AlertLog::Open(db).value());
    store = std::move(CameraStore::Open(db).value());
    keys = std::move(KeyStore::Open(db).value());
    desk = std::move(AlertDesk::Open(db).value());
    children =
        std::move(ChildLinks::Open(db, ctx, {*keys, child_inbox, *desk, log->stream(), "县中心", &relay}, now).value());
    const xl::wire::CameraSpec cam = xl::fuzz::VillageCamera();
    (void)store->Put({cam});
    for (auto* s : {&control_socket, &client_socket, &video_socket}) {
      s->set(zmq::sockopt::router_mandatory, 1);
      s->set(zmq::sockopt::linger, 0);
    }
    control = std::make_unique<WorkerControl>(control_socket, *store, 15000);
    hub = std::make_unique<ClientHub>(
        client_socket, *log, states, relay,
        [this](const std::string& id) -> std::optional<std::string> {
          const RegisteredCamera* c = store->Find(id);
          return c ? std::optional(c->spec.region()) : std::nullopt;
        },
        [](const xl::wire::PtzCommand&) { return xl::Status(); });
    hub->SealVideo(video_socket, 5559);
    xl::wire::ServerMessage key;
    *key.mutable_video_key() = xl::NewVideoKey(cam.id(), 1);
    inbox.OnServerMessage(key);
  }
  xl::SealedVideoInbox inbox{ctx, "tcp://127.0.0.1:5556"};  // a client holding the key of the camera
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Router r;
  if (size < 1) return 0;
  const zmq::message_t body(data + 1, size - 1);
  r.now += 100;
  switch (data[0] % 8) {
    case 0:
      r.control->OnMessage("w1", body, r.now);
      break;
    case 1:
      r.control->OnMessage("w2", body, r.now);
      break;
    case 2:
      r.hub->OnRequest("client-a", body, {"admin", "", "key-a"}, r.now);
      break;
    case 3:
      r.hub->OnRequest("client-b", body, {"op", "3301020201", "key-b"}, r.now);
      break;
    case 4:
      r.hub->OnVideoHello("video-a", std::string(static_cast<const char*>(body.data()), body.size()), r.now);
      break;
    case 5:
      (void)r.inbox.Open(body);
      break;
    case 6: {
      std::vector<xl::wire::Alert> alerts;
      r.children->OnMessage(r.child, "child-a", body, r.now, &alerts);
      r.child_inbox.Commit();
      r.children->Acknowledge();
      (void)r.children->TakeCameraChanges();
      (void)r.children->Expire(r.now);
      r.children->Pump(r.now);
      r.children->SetWanted(r.relay.Wanted(r.now), r.now);
      (void)r.children->LiveRefusal(xl::fuzz::VillageCamera().id(), r.now);
      (void)r.children->Loads();
      (void)r.children->TakeArrivedSteps();
      break;
    }
    default:
      (void)r.relay.OnMessage(body, r.now, [](const std::string& camera) { return camera.size() == 20; });
      break;
  }
  r.control->Pump(r.now);
  r.control->SetWanted(r.relay.Wanted(r.now), r.now);
  r.hub->Pump(r.now);
  return 0;
}
