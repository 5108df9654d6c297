package api

// LoginRequest is the body of POST /api/login.
type LoginRequest struct {
	Name     string `json:"name"`
	Password string `json:"password"`
}

// Me is the signed-in account: the answer of POST /api/login and GET /api/me.
type Me struct {
	Name string `json:"name"`
	// Role is "admin" or "teacher".
	Role string `json:"role"`
}

// SessionCookie is the name of the teacher's session cookie.
const SessionCookie = "ai4artsed_session"
