#include "proto/wire/curve.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>

namespace xl {

bool IsCurveKey(const std::string& key) {
  if (key.size() != 40) return false;
  uint8_t raw[32];
  return zmq_z85_decode(raw, key.c_str()) != nullptr;
}

Result<CurveKeyPair> GenerateCurveKeyPair() {
  char pub[41], sec[41];
  if (zmq_curve_keypair(pub, sec) != 0) return Error{"CURVE: libzmq was built without CURVE support"};
  return CurveKeyPair{pub, sec};
}

namespace {
// The value of "name = value" (quotes optional) when `line` is that line.
bool ValueOf(const std::string& line, const std::string& name, std::string* value) {
  size_t p = line.find_first_not_of(" \t");
  if (p == std::string::npos || line.compare(p, name.size(), name) != 0) return false;
  p = line.find('=', p + name.size());
  if (p == std::string::npos) return false;
  std::string v = line.substr(p + 1);
  v.erase(0, v.find_first_not_of(" \t\""));
  v.erase(v.find_last_not_of(" \t\"\r") + 1);
  *value = v;
  return true;
}
}  // namespace

Result<CurveKeyPair> ReadCurveKeyPair(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error{path + ": cannot read the key file: " + std::strerror(errno), ErrorCode::kNotFound};
  CurveKeyPair pair;
  for (std::string line; std::getline(in, line);) {
    if (line.find_first_not_of(" \t") != std::string::npos && line[line.find_first_not_of(" \t")] == '#') continue;
    ValueOf(line, "public-key", &pair.public_key) || ValueOf(line, "secret-key", &pair.secret_key);
  }
  if (!IsCurveKey(pair.public_key)) return Error{path + ": no valid public-key line (40 Z85 characters)"};
  if (!IsCurveKey(pair.secret_key)) return Error{path + ": no valid secret-key line (40 Z85 characters)"};
  char derived[41];
  if (zmq_curve_public(derived, pair.secret_key.c_str()) != 0 || pair.public_key != derived) {
    return Error{path + ": the public key does not belong to the secret key"};
  }
  return pair;
}

Status WriteCurveKeyPair(const std::string& path, const CurveKeyPair& pair) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Error{path + ": cannot create the key file: " + std::strerror(errno)};
  const std::string text =
      "# Xueliang CURVE key pair. Keep this file secret; give out only the public key.\n"
      "public-key = \"" +
      pair.public_key + "\"\nsecret-key = \"" + pair.secret_key + "\"\n";
  const bool written = ::write(fd, text.data(), text.size()) == ssize_t(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!written) {
    ::unlink(path.c_str());
    return Error{path + ": cannot write the key file: " + std::strerror(errno)};
  }
  return Status();
}

Result<CurveKeyPair> LoadOrCreateCurveKeyPair(const std::string& path) {
  auto existing = ReadCurveKeyPair(path);
  if (existing.ok() || existing.error().code != ErrorCode::kNotFound || ::access(path.c_str(), F_OK) == 0) {
    return existing;
  }
  auto fresh = GenerateCurveKeyPair();
  if (!fresh.ok()) return fresh;
  if (Status s = WriteCurveKeyPair(path, *fresh); !s.ok()) return s.error();
  return fresh;
}

Result<std::string> ResolvePublicKey(const std::string& key_or_path) {
  if (IsCurveKey(key_or_path)) return key_or_path;
  std::ifstream in(key_or_path);
  if (!in) {
    return Error{"'" + key_or_path + "' is neither a public key (40 Z85 characters) nor a readable key file"};
  }
  for (std::string line; std::getline(in, line);) {
    std::string value;
    if (ValueOf(line, "public-key", &value) && IsCurveKey(value)) return value;
  }
  return Error{key_or_path + ": no valid public-key line (40 Z85 characters)"};
}

void MakeCurveServer(zmq::socket_t& socket, const CurveKeyPair& pair, const std::string& zap_domain) {
  socket.set(zmq::sockopt::curve_server, 1);
  socket.set(zmq::sockopt::curve_secretkey, pair.secret_key);
  // libzmq asks the ZAP handler about every CURVE handshake while one is bound
  // (inproc://zeromq.zap.01 in the socket's context); the router binds it before any endpoint.
  socket.set(zmq::sockopt::zap_domain, zap_domain);
}

void MakeCurveClient(zmq::socket_t& socket, const CurveClientKeys& keys) {
  socket.set(zmq::sockopt::curve_serverkey, keys.server_public_key);
  socket.set(zmq::sockopt::curve_publickey, keys.own.public_key);
  socket.set(zmq::sockopt::curve_secretkey, keys.own.secret_key);
}

Result<CurveClientKeys> LoadCurveClientKeys(const std::string& key_file, const std::string& server_key) {
  if (key_file.empty()) return Error{"no key file: make one with `xl key gen --out FILE` and register its public key"};
  if (server_key.empty()) return Error{"no router key: the router logs its public key at start (also GET /api/keys)"};
  auto own = ReadCurveKeyPair(key_file);
  if (!own.ok()) return own.error();
  auto server = ResolvePublicKey(server_key);
  if (!server.ok()) return server.error();
  return CurveClientKeys{own.value(), server.value()};
}

std::string PeerKeyOf(const zmq::message_t& msg) {
  const char* id = zmq_msg_gets(const_cast<zmq_msg_t*>(msg.handle()), "User-Id");
  return id ? id : "";
}

}  // namespace xl
