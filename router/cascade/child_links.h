// The links from this router's children — a parent router's side of the cascade: the children
// endpoint (ROUTER, CURVE), where each child router is known by its registered key
// (router/keys/key_store.h: kind "child", named after the child's site, with the region prefix
// it may speak for).
//
// Takes each child's logged alerts exactly once and in order (delivery::Inbox under the source
// "child:<site>", the marks committed by the owner with the alerts they carried); an alert
// outside the child's prefix is taken but not kept — acknowledged, counted, logged and told to
// the child. Each link is up while its child says hello (every second) and down after
// `down_after_ms` of silence.
//
// Handling steps go both ways (router/cascade/step_relay.h): each child's steps (on its
// alerts, inside its prefix) are kept here, and the steps taken here or above on a child's
// alerts go down to it.
//
// Each child's catalog (its cameras and their states, router/cascade/parent_link.h) is kept,
// inside the child's prefix only, in memory and in the router's database (table
// `child_catalog`), so after a restart of this router a child that does not come back still
// shows its cameras, "link down"; a child whose complete catalog has not come since this router
// started is asked for it. Every registered child is known from the start: one that never says
// hello is down after `down_after_ms`.
//
// Live video: each child whose link is up is told which of its cameras this router wants
// (SetWanted: those its own viewers, or its parent's, watch), and the frames of those cameras
// it sends up (on its video connection, router/cascade/video_up.h) go into this router's relay.
// A frame of a camera that is not in the child's catalog is dropped and counted.
//
// Thread: the router's one loop thread only (router/router.h):
//   Drain → (owner commits the alerts with inbox.Pending(), then inbox.Commit()) → Acknowledge
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>
#include <zmq.hpp>

#include "common/sqlite_util.h"
#include "common/status.h"
#include "proto/wire/curve.h"
#include "proto/wire/delivery/inbox.h"
#include "router/cascade/clip_parts.h"
#include "router/cascade/step_relay.h"
#include "router/desk/alert_desk.h"
#include "router/keys/key_store.h"
#include "router/live/live_relay.h"
#include "router/live/watch_told.h"
#include "xueliang.pb.h"

namespace xl::router {

class ChildLinks {
 public:
  // What the links work with: this router's keys, its inbox of alerts, its handling steps
  // (with its log's identity `stream`) and its name as children see it in steps taken here.
  struct Sources {
    KeyStore& keys;
    delivery::Inbox& inbox;
    AlertDesk& desk;
    uint64_t stream = 0;
    std::string site_name;
    LiveRelay* relay = nullptr;  // live video from children goes here; null: none taken
  };
  // Opens the catalogs kept in the database at `path` and knows every registered child key.
  static Result<std::unique_ptr<ChildLinks>> Open(const std::string& path, zmq::context_t& ctx, Sources sources,
                                                  int64_t now_ms, int64_t down_after_ms = 10000);

  // Binds the children endpoint as a CURVE server with this router's key pair (the ZAP
  // handler lets in child keys only).
  Status Bind(const std::string& endpoint, const CurveKeyPair& pair);
  zmq::socket_t& socket() { return socket_; }

  // Reads up to a batch of what children sent. Alerts to keep are appended to `alerts` with
  // their site path set (and no worker: their clips stay below); their marks are pending in
  // the inbox.
  void Drain(int64_t now_ms, std::vector<wire::Alert>* alerts);
  // Handles one message `body` of child `key` (authenticated), whose connection has
  // `routing_id`: as Drain does for each message it reads.
  void OnMessage(const PeerKey& key, const std::string& routing_id, const zmq::message_t& body, int64_t now_ms,
                 std::vector<wire::Alert>* alerts);
  // Tells every child heard since the last call how far its log is committed here (the
  // inbox's committed marks), and how far its handling steps. Call after the batch was
  // committed, or discarded.
  void Acknowledge();
  // Sends each child whose link is up the handling steps due to it.
  void Pump(int64_t now_ms);
  // The cameras whose live video this router wants now (its relay's): each child whose link is
  // up is told those in its catalog, when that changes and every few seconds while not none.
  void SetWanted(const std::set<std::string>& cameras, int64_t now_ms);
  // Why a stream of camera `camera` may not start crossing its child's link now (the relay's
  // admission, router/live/live_relay.h): the streams crossing it (those the relay wants) and
  // this one — at its rate as last measured here, else at the average of theirs — would pass
  // the link's live budget (the child key's live_kbps). nullopt when it fits, or is no child's.
  // A camera further down must fit every link on its way as well, as the child last reported
  // them (LinkHello.links; up to a second old). Each refusal is counted (Link::live_refused).
  std::optional<std::string> LiveRefusal(const std::string& camera, int64_t now_ms);
  // The live video on every link below this router (each child's, and those it reports below
  // it, their sites as paths from here), as this router's parent is told (LinkHello.links).
  std::vector<wire::LinkLoad> Loads() const;
  // Passes a PTZ command on to the child whose catalog holds its camera (LinkDown.ptz). Error
  // when no child has the camera (kNotFound), it does not take PTZ, or its link is down.
  Status SendPtz(const wire::PtzCommand& command);
  // Handling steps children sent that are new here (the desks are told), since the last call.
  std::vector<LoggedStep> TakeArrivedSteps() { return std::exchange(arrived_, {}); }
  // Asks child `site` for the clip of its event `event_id` (LinkDown.clip_request); `done` is
  // called once with the clip, or why not (502 the link is down or went down, 504 no clip in
  // time, or what the child answered: 404 ...). router/cascade/clip_parts.h
  void RequestClip(const std::string& site, const std::string& event_id, int64_t now_ms, ClipDone done);

  // Every child's camera, its `site` the path from here ("东街镇/东村") and `link_down` set
  // when its child's link (or one below) is down.
  std::vector<wire::Camera> Cameras() const;
  // Camera `id` of a child as Cameras() gives it; nullopt when no child has it.
  std::optional<wire::Camera> CameraOf(const std::string& id) const;
  // Cameras whose catalog entry changed since the last call (as Cameras() gives them; a camera
  // gone from its child's registry as state REMOVED).
  std::vector<wire::Camera> TakeCameraChanges();

  struct Change {
    std::string site;
    bool up = false;
  };
  // Links that went up or down since the last call (each logged).
  std::vector<Change> Expire(int64_t now_ms);

  struct Link {
    std::string site;
    std::string prefix;
    bool up = false;
    int64_t since_ms = 0;          // monotonic: when it went up or down
    uint64_t alerts = 0;           // kept since this router started
    uint64_t refused = 0;          // refused since this router started (outside the prefix)
    uint64_t behind = 0;           // alerts the child has logged that are not here yet (from its hello)
    size_t cameras = 0;            // in its catalog
    size_t live_streams = 0;       // its cameras this router watches now
    int64_t live_kbps = 0;         // their video rate, as measured here
    int64_t live_budget_kbps = 0;  // the link's live budget (its key's live_kbps)
    uint64_t live_refused = 0;     // streams refused for the budget since this router started
    uint64_t video_frames = 0;     // live video frames taken from it since this router started
    uint64_t video_refused = 0;    // frames of cameras not in its catalog, or malformed
  };
  std::vector<Link> Links() const;
  size_t up_count() const;

  static std::string SourceOf(const std::string& site) { return "child:" + site; }
  // Forgets child `site` (its key was removed) unless another child key has its name; true
  // when it was forgotten.
  bool Forget(const std::string& site);

 private:
  struct State {
    Link link;
    std::string routing_id;  // of its latest message
    bool reply = false;      // heard since the last Acknowledge
    int64_t heard_ms = 0;
    uint64_t stream = 0;  // its log, from its hello
    int64_t refusal_logged_ms = -1;
    std::map<std::string, wire::Camera> cameras;  // its catalog, `site` already the path from here
    bool catalog_complete = false;                // a complete catalog came since this router started
    std::unique_ptr<StepSender> steps;            // this router's steps for the child
    std::optional<delivery::Mark> steps_mark;     // how far this router has the child's steps (read once)
    WatchTold watch;                              // its cameras it was last told to send live
    std::set<std::string> live;                   // its cameras this router watches now
    std::vector<wire::LinkLoad> below;            // the links below it, from its last hello
  };
  // The child whose catalog holds `camera`; nullptr when none does.
  const State* HolderOf(const std::string& camera) const;
  State* HolderOf(const std::string& camera);
  // A live video frame from child `child`.
  void OnVideo(State& child, const wire::VideoFrame& frame, int64_t now_ms);
  State& StateOf(const std::string& site);
  // Keeps a run of child `key`'s handling steps inside its prefix, and acknowledges it.
  void OnSteps(State& child, const PeerKey& key, const wire::HandlingSteps& run, int64_t now_ms);
  const delivery::Mark& StepsMark(State& child);
  // Applies a catalog message of `child` (known by `key`).
  void ApplyCatalog(State& child, const PeerKey& key, const wire::Catalog& catalog, int64_t now_ms);
  // The camera as Cameras() gives it.
  static wire::Camera Shown(const State& child, const wire::Camera& camera);
  ChildLinks(zmq::context_t& ctx, Sources sources, SqlitePtr db, int64_t down_after_ms);
  // Writes child `site`'s catalog changes: every camera of it when `complete` (the rest
  // deleted), else `changed` and `removed`. Logged on failure (the catalog comes again).
  void Store(const std::string& site, bool complete, const std::vector<std::string>& changed,
             const std::vector<std::string>& removed);
  // The child a message came from (by its key), nullptr when its key is no (longer a) child's.
  const PeerKey* ChildOf(const zmq::message_t& frame) const;
  void Refuse(State& child, const std::string& why, int64_t now_ms);
  void Send(const std::string& routing_id, const wire::LinkDown& down);

  KeyStore& keys_;
  delivery::Inbox& inbox_;
  AlertDesk& desk_;
  const uint64_t stream_;
  const std::string site_name_;
  LiveRelay* const relay_;
  SqlitePtr db_;
  const int64_t down_after_ms_;
  zmq::socket_t socket_;
  std::map<std::string, State> children_;       // by site; only registered children get here
  std::map<std::string, std::string> changed_;  // camera → its child's site, since TakeCameraChanges
  std::vector<LoggedStep> arrived_;
  ClipRequests clips_;
};

}  // namespace xl::router
