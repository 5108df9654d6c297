package comfysim

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
)

// maxUpload is ComfyUI's default upload limit (100 MB).
const maxUpload = 100 << 20

// fileKey names one in-memory file: folder type (input, output, temp),
// subfolder ("" for the top level) and base name.
type fileKey struct{ typ, subfolder, name string }

func validType(t string) bool { return t == "input" || t == "output" || t == "temp" }

// cleanSub normalises a subfolder; ok is false if it escapes its folder.
func cleanSub(sub string) (string, bool) {
	sub = strings.ReplaceAll(sub, `\`, "/")
	if sub == "" {
		return "", true
	}
	if strings.HasPrefix(sub, "/") {
		return "", false
	}
	c := path.Clean(sub)
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", false
	}
	if c == "." {
		c = ""
	}
	return c, true
}

// lookupAnnotated finds a file named as LoadImage names it: "name" or
// "sub/name", optionally suffixed " [input]", " [output]" or " [temp]".
func (s *Server) lookupAnnotated(name string) ([]byte, bool) {
	typ := "input"
	for _, t := range []string{"input", "output", "temp"} {
		if strings.HasSuffix(name, " ["+t+"]") {
			typ, name = t, strings.TrimSuffix(name, " ["+t+"]")
			break
		}
	}
	if name == "" {
		return nil, false
	}
	dir, base := path.Split(name)
	sub, ok := cleanSub(strings.TrimSuffix(dir, "/"))
	if !ok || base == "" {
		return nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	data, ok := s.files[fileKey{typ, sub, base}]
	return data, ok
}

// inputFiles lists the top-level input files, sorted, as LoadImage offers them.
func (s *Server) inputFiles() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k := range s.files {
		if k.typ == "input" && k.subfolder == "" {
			out = append(out, k.name)
		}
	}
	slices.Sort(out)
	return orEmpty(out)
}

// handleUpload implements POST /upload/image.
func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxUpload)
	if err := r.ParseMultipartForm(32 << 20); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	f, hdr, err := r.FormFile("image")
	if err != nil || hdr.Filename == "" {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	data, err := io.ReadAll(f)
	_ = f.Close()
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	typ := r.FormValue("type")
	if typ == "" {
		typ = "input"
	}
	rawSub := r.FormValue("subfolder")
	sub, ok := cleanSub(rawSub)
	name := path.Base(strings.ReplaceAll(hdr.Filename, `\`, "/"))
	if !ok || !validType(typ) || name == "." || name == "/" || name == ".." {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	overwrite := r.FormValue("overwrite") == "true" || r.FormValue("overwrite") == "1"
	s.mu.Lock()
	if !overwrite {
		ext := path.Ext(name)
		stem := strings.TrimSuffix(name, ext)
		for i := 1; ; i++ {
			existing, clash := s.files[fileKey{typ, sub, name}]
			if !clash || bytes.Equal(existing, data) {
				break
			}
			name = fmt.Sprintf("%s (%d)%s", stem, i, ext)
		}
	}
	s.files[fileKey{typ, sub, name}] = data
	ref := name
	if sub != "" {
		ref = sub + "/" + name
	}
	s.uploads = append(s.uploads, ref)
	s.mu.Unlock()
	s.log.Debug("comfysim: upload", "name", ref, "type", typ, "bytes", len(data))
	writeJSON(w, http.StatusOK, map[string]string{"name": name, "subfolder": rawSub, "type": typ})
}

// handleView implements GET /view.
func (s *Server) handleView(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if !q.Has("filename") {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	filename := q.Get("filename")
	typ := ""
	for _, t := range []string{"input", "output", "temp"} {
		if strings.HasSuffix(filename, " ["+t+"]") {
			typ, filename = t, strings.TrimSuffix(filename, " ["+t+"]")
		}
	}
	if filename == "" || filename[0] == '/' || strings.Contains(filename, "..") {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if typ == "" {
		typ = q.Get("type")
		if typ == "" {
			typ = "output"
		}
	}
	if !validType(typ) {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	sub, ok := cleanSub(q.Get("subfolder"))
	if !ok {
		w.WriteHeader(http.StatusForbidden)
		return
	}
	base := path.Base(filename)
	s.mu.Lock()
	data, found := s.files[fileKey{typ, sub, base}]
	s.mu.Unlock()
	if !found {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	ct := mime.TypeByExtension(path.Ext(base))
	if ct == "" || strings.HasPrefix(ct, "text/html") {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", `filename="`+base+`"`)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	_, _ = w.Write(data)
}

// storeOutput saves an image under the SaveImage naming scheme and returns
// its file entry for history and the executed event.
func (s *Server) storeOutput(typ, prefix string, data []byte) (map[string]string, error) {
	dir, base := path.Split(prefix)
	sub, ok := cleanSub(strings.TrimSuffix(dir, "/"))
	if !ok {
		return nil, fmt.Errorf("**** ERROR: Saving image outside the output folder is not allowed.\n full_output_folder: %s\n         output_dir: %s", dir, typ)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := typ + "\x00" + sub + "\x00" + base
	s.counters[key]++
	name := fmt.Sprintf("%s_%05d_.png", base, s.counters[key])
	s.files[fileKey{typ, sub, name}] = data
	return map[string]string{"filename": name, "subfolder": sub, "type": typ}, nil
}
