// Errors as values. A Result<T> holds either a T or an Error: a kind the caller can act on
// and a human-readable reason. Functions that can fail return Result/Status instead of
// throwing. Storage and logic say what went wrong by the kind; only the edge that answers a
// peer maps kinds to its protocol (HTTP: HttpStatusOf in common/http_server.h).
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace xl {

// What kind of failure an Error is.
enum class ErrorCode {
  kInvalidArgument,    // the input is malformed or out of range (the default: most errors are bad input)
  kNotFound,           // what was asked for does not exist (or is not visible to the caller)
  kAlreadyExists,      // it exists already
  kConflict,           // the request does not fit the current state (a step out of order)
  kUnauthenticated,    // the caller has not proved who it is
  kPermissionDenied,   // the caller may not do this
  kUnavailable,        // a peer or resource cannot be reached now; trying again may work
  kResourceExhausted,  // no room left (disk full); trying again once room is made may work
  kInternal,           // a fault of our own or of the system below (I/O, database)
};

// A failure with a reason an operator can act on ("deploy/demo.yaml:12: unknown key 'fsp'").
struct Error {
  std::string message;
  ErrorCode code = ErrorCode::kInvalidArgument;
};

inline Error InvalidArgument(std::string message) { return {std::move(message), ErrorCode::kInvalidArgument}; }
inline Error NotFound(std::string message) { return {std::move(message), ErrorCode::kNotFound}; }
inline Error Conflict(std::string message) { return {std::move(message), ErrorCode::kConflict}; }
inline Error Unavailable(std::string message) { return {std::move(message), ErrorCode::kUnavailable}; }
inline Error ResourceExhausted(std::string message) { return {std::move(message), ErrorCode::kResourceExhausted}; }
inline Error Internal(std::string message) { return {std::move(message), ErrorCode::kInternal}; }
inline Error PermissionDenied(std::string message) { return {std::move(message), ErrorCode::kPermissionDenied}; }
inline Error Unauthenticated(std::string message) { return {std::move(message), ErrorCode::kUnauthenticated}; }

template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }

  // Requires ok().
  T& value() { return std::get<T>(v_); }
  const T& value() const { return std::get<T>(v_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }

  // Requires !ok().
  const Error& error() const { return std::get<Error>(v_); }

 private:
  std::variant<T, Error> v_;
};

// A Result without a value: ok, or an Error.
class Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT
  static Status Ok() { return {}; }

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const std::string& message() const { return error_.message; }
  // Requires !ok().
  const Error& error() const { return error_; }
  ErrorCode code() const { return error_.code; }

 private:
  Error error_;
  bool failed_ = false;
};

}  // namespace xl
