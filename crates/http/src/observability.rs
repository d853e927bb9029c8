//! Request ids, request metrics, log lines per request.
