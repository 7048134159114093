// Package saoyue holds what every layer shares: the domain error with its
// codes. Packages return *Error for what a user did wrong or asked for
// wrongly; anything else is an internal error whose detail stays in the logs.
package saoyue

import (
	"errors"
	"fmt"
)

// Error codes, one per way a request can fail from the user's side.
const (
	ECONFLICT     = "conflict"     // the state changed: someone else holds it, it is already done
	EINTERNAL     = "internal"     // our fault; the message is not shown
	EINVALID      = "invalid"      // the input breaks a rule; the message says which
	ENOTFOUND     = "not_found"    // no such thing
	EFORBIDDEN    = "forbidden"    // it exists but is not yours to see or change
	EUNAUTHORIZED = "unauthorized" // we do not know who you are
)

// Error is a domain error: a code for programs and a message for people.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("saoyue error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, "" for
// nil, and EINTERNAL for any other error.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the first *Error in err's chain, or a
// generic one: internal details are for the logs, not for users.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "服务器内部错误，请稍后重试"
}
