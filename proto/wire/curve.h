// ZeroMQ CURVE: every link between Xueliang nodes is encrypted and authenticated by keys.
//
// Keys are Z85 text (40 characters, ZeroMQ's own encoding). A key pair file holds both
// keys, one per line ("public-key = …", "secret-key = …", lines starting with '#' are
// comments, as in CZMQ's certificates); it is written with mode 0600. A public key may be
// given as its 40 characters or as the path of a key (pair) file holding it.
//
// The router is the CURVE server of every endpoint; workers and native clients are
// clients that know the router's public key. The router authenticates peers through ZAP
// (router/keys/zap_handler.h); the ZAP domain names the endpoint.
#pragma once

#include <cstdint>
#include <string>
#include <zmq.hpp>

#include "common/status.h"

namespace xl {

struct CurveKeyPair {
  std::string public_key;  // Z85, 40 characters
  std::string secret_key;  // Z85, 40 characters; never logged
};

// True when `key` is 40 characters of Z85 that decode to 32 bytes.
bool IsCurveKey(const std::string& key);

// A fresh key pair. Error only when libzmq was built without CURVE.
Result<CurveKeyPair> GenerateCurveKeyPair();

// Reads a key pair file. Error naming the file when it cannot be read or has no valid pair.
Result<CurveKeyPair> ReadCurveKeyPair(const std::string& path);
// Writes `pair` to a new file at `path` with mode 0600. Error when it exists or cannot be written.
Status WriteCurveKeyPair(const std::string& path, const CurveKeyPair& pair);
// The pair in `path`; when no file is there, a new pair written there first.
Result<CurveKeyPair> LoadOrCreateCurveKeyPair(const std::string& path);
// A public key given as its 40 characters or as a key (pair) file holding one.
Result<std::string> ResolvePublicKey(const std::string& key_or_path);

// Makes `socket` a CURVE server with `pair`, authenticated by the ZAP handler under
// `zap_domain`. Call before bind.
void MakeCurveServer(zmq::socket_t& socket, const CurveKeyPair& pair, const std::string& zap_domain);
// What a CURVE client needs: its own key pair and the server's public key.
struct CurveClientKeys {
  CurveKeyPair own;
  std::string server_public_key;
};
// Makes `socket` a CURVE client with `keys`. Call before connect.
void MakeCurveClient(zmq::socket_t& socket, const CurveClientKeys& keys);
// Loads a client's keys: its key pair file and the server's public key (40 characters or a
// key file). Errors name what is wrong and how to make it.
Result<CurveClientKeys> LoadCurveClientKeys(const std::string& key_file, const std::string& server_key);

// The largest message each endpoint accepts (ZMQ_MAXMSGSIZE): a peer sending more is
// disconnected. Control and client messages are small; media carry one access unit; alerts
// carry a snapshot.
inline constexpr int64_t kMaxControlMessageBytes = 4 << 20;  // a Hello may seed thousands of cameras
inline constexpr int64_t kMaxClientRequestBytes = 64 << 10;  // requests from native clients
inline constexpr int64_t kMaxWorkerMessageBytes = 16 << 20;  // an alert with its snapshot
inline constexpr int64_t kMaxMediaMessageBytes = 16 << 20;   // one access unit (a 4K keyframe)

// The ZAP domains of the router's endpoints: the ZAP handler lets a worker's key into the
// first three, a desk user's key into the clients endpoint and a live ticket into the video
// endpoint.
inline constexpr const char* kZapWorkers = "workers";
inline constexpr const char* kZapControl = "control";
inline constexpr const char* kZapMedia = "media";
inline constexpr const char* kZapClients = "clients";
// The video endpoint (proto/wire/sealed_video.h): ZeroMQ PLAIN, a ticket as password.
inline constexpr const char* kZapVideo = "video";
// The children endpoint: child routers (router/cascade/), each with a registered child key.
inline constexpr const char* kZapChildren = "children";
// An alert with its snapshot, or a batch of catalog changes, from a child router.
inline constexpr int64_t kMaxLinkMessageBytes = 16 << 20;

// The key an authenticated message came with (its ZAP user id), "" when none.
std::string PeerKeyOf(const zmq::message_t& msg);

}  // namespace xl
