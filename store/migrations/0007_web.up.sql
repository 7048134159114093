-- Browser sign-in (issue 7): accounts, sessions and the sign-in attempts
-- that rate limiting counts. Passwords and session tokens are stored only
-- as hashes, so a copy of the database signs nobody in.

CREATE TABLE users (
    id                   bigserial PRIMARY KEY,
    login                text NOT NULL UNIQUE,
    name                 text NOT NULL DEFAULT '',
    password_hash        text NOT NULL,                   -- bcrypt
    roles                text[] NOT NULL DEFAULT '{}',    -- marker, leader, technician, centre, approver
    teacher_id           bigint UNIQUE REFERENCES teachers(id) ON DELETE CASCADE,
    school_id            bigint REFERENCES schools(id),   -- technicians (and teachers) belong to one school
    must_change_password boolean NOT NULL DEFAULT true,   -- one-time passwords are changed at the first sign-in
    failed_attempts      int NOT NULL DEFAULT 0,
    locked_until         timestamptz,
    disabled             boolean NOT NULL DEFAULT false,
    created_at           timestamptz NOT NULL DEFAULT now(),
    last_sign_in         timestamptz,
    CHECK (roles <@ ARRAY['marker','leader','technician','centre','approver']::text[]),
    CHECK (cardinality(roles) > 0),
    CHECK (NOT 'technician' = ANY(roles) OR school_id IS NOT NULL)
);

CREATE TABLE sessions (
    token_hash   text PRIMARY KEY,                        -- SHA-256 of the cookie value
    user_id      bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    last_seen    timestamptz NOT NULL DEFAULT now(),
    user_agent   text NOT NULL DEFAULT '',
    ip           text NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

CREATE TABLE sign_in_attempts (
    id      bigserial PRIMARY KEY,
    login   text NOT NULL,
    ip      text NOT NULL,
    ok      boolean NOT NULL,
    at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sign_in_attempts_ip_idx ON sign_in_attempts (ip, at);
CREATE INDEX sign_in_attempts_login_idx ON sign_in_attempts (login, at);
