// Package safetensors checks that a file is a real safetensors LoRA: an
// 8-byte little-endian header length, a JSON header whose tensors tile the
// data exactly, and tensor names of a LoRA (lora_A/lora_B, lora_down/lora_up).
// It also writes tiny genuine files, for test doubles of a trainer.
package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// MaxHeader bounds the JSON header we agree to parse (the format allows
// 100 MB; a LoRA's is a few hundred KB).
const MaxHeader = 16 << 20

var dtypeSize = map[string]int64{
	"BOOL": 1, "U8": 1, "I8": 1, "F8_E4M3": 1, "F8_E5M2": 1,
	"I16": 2, "U16": 2, "F16": 2, "BF16": 2,
	"I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8,
}

// Tensor is one entry of the header.
type Tensor struct {
	DType       string   `json:"dtype"`
	Shape       []int64  `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

// Info is what Check learned.
type Info struct {
	Tensors  int
	LoRAKeys int // names with a LoRA marker
	Metadata map[string]string
}

// Check reads a whole safetensors file of size bytes from r and returns an
// error naming the first thing wrong with it.
func Check(r io.Reader, size int64) (Info, error) {
	h, err := readHeader(r, size)
	info := Info{Tensors: len(h.tensors), Metadata: h.meta}
	if err != nil {
		return info, err
	}
	for name := range h.tensors {
		if IsLoRAName(name) {
			info.LoRAKeys++
		}
	}
	if info.LoRAKeys*2 < info.Tensors {
		return info, fmt.Errorf("only %d of %d tensor names look like a LoRA (lora_A/lora_B, lora_down/lora_up)", info.LoRAKeys, info.Tensors)
	}
	if _, err := io.Copy(io.Discard, io.LimitReader(r, h.dataLen)); err != nil {
		return info, fmt.Errorf("data: %w", err)
	}
	return info, nil
}

// header is a parsed, checked safetensors header.
type header struct {
	tensors map[string]json.RawMessage // by name, without __metadata__
	meta    map[string]string
	dataLen int64
}

// readHeader reads the length and the JSON header of a file of size bytes
// and checks that the tensors tile its data exactly; r is left at the
// first data byte.
func readHeader(r io.Reader, size int64) (header, error) {
	var h header
	if size < 8 {
		return h, errors.New("shorter than the 8-byte header length")
	}
	var n uint64
	if err := binary.Read(r, binary.LittleEndian, &n); err != nil {
		return h, fmt.Errorf("header length: %w", err)
	}
	if n < 2 || n > MaxHeader || int64(n) > size-8 {
		return h, fmt.Errorf("header length %d out of range for a %d-byte file", n, size)
	}
	raw := make([]byte, n)
	if _, err := io.ReadFull(r, raw); err != nil {
		return h, fmt.Errorf("header: %w", err)
	}
	entries, err := objectEntries(raw)
	if err != nil {
		return h, err
	}
	h.dataLen = size - 8 - int64(n)
	h.tensors = map[string]json.RawMessage{}
	var spans [][2]int64
	for name, v := range entries {
		if name == metadataKey {
			if err := json.Unmarshal(v, &h.meta); err != nil {
				return h, fmt.Errorf("__metadata__ must map strings to strings: %w", err)
			}
			continue
		}
		var t Tensor
		dec := json.NewDecoder(bytes.NewReader(v))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&t); err != nil {
			return h, fmt.Errorf("tensor %q: %w", name, err)
		}
		es, ok := dtypeSize[t.DType]
		if !ok {
			return h, fmt.Errorf("tensor %q: unknown dtype %q", name, t.DType)
		}
		elems := int64(1)
		for _, d := range t.Shape {
			if d < 0 || d > 1<<32 {
				return h, fmt.Errorf("tensor %q: bad shape %v", name, t.Shape)
			}
			elems *= d
		}
		b, e := t.DataOffsets[0], t.DataOffsets[1]
		if b < 0 || e < b || e > h.dataLen || e-b != elems*es {
			return h, fmt.Errorf("tensor %q: offsets %v do not fit shape %v %s in %d data bytes", name, t.DataOffsets, t.Shape, t.DType, h.dataLen)
		}
		spans = append(spans, t.DataOffsets)
		h.tensors[name] = v
	}
	// The tensors must tile the data buffer: no holes, no overlaps.
	slices.SortFunc(spans, func(a, b [2]int64) int { return int(a[0] - b[0]) })
	var at int64
	for _, s := range spans {
		if s[0] != at {
			return h, fmt.Errorf("tensor data has a hole or overlap at byte %d", at)
		}
		at = s[1]
	}
	if at != h.dataLen {
		return h, fmt.Errorf("tensors cover %d of %d data bytes", at, h.dataLen)
	}
	if len(h.tensors) == 0 {
		return h, errors.New("no tensors")
	}
	return h, nil
}

const metadataKey = "__metadata__"

// objectEntries decodes a header: one JSON object, padded with spaces only,
// whose keys are unique (the format forbids duplicates, which a plain
// map decoding would silently collapse).
func objectEntries(raw []byte) (map[string]json.RawMessage, error) {
	notObject := func(err error) error { return fmt.Errorf("header is not a JSON object: %w", err) }
	body := bytes.TrimRight(raw, " ")
	if len(body) == 0 || body[0] != '{' {
		return nil, notObject(errors.New("it does not start with {"))
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if _, err := dec.Token(); err != nil {
		return nil, notObject(err)
	}
	entries := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, notObject(err)
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, notObject(err)
		}
		if _, dup := entries[key]; dup {
			return nil, fmt.Errorf("header has the key %q twice", key)
		}
		entries[key] = v
	}
	if _, err := dec.Token(); err != nil { // the closing }
		return nil, notObject(err)
	}
	if dec.InputOffset() != int64(len(body)) {
		return nil, notObject(errors.New("bytes other than spaces follow it"))
	}
	return entries, nil
}

// IsLoRAName reports whether a tensor name is one of a LoRA's: the
// diffusers/peft (lora_A, lora_B), kohya (lora_down, lora_up) spellings,
// and their alpha scalars.
func IsLoRAName(name string) bool {
	for _, m := range []string{".lora_A.", ".lora_B.", ".lora_down.", ".lora_up.", "lora_A.weight", "lora_B.weight"} {
		if strings.Contains(name, m) {
			return true
		}
	}
	return strings.HasSuffix(name, ".alpha") && strings.HasPrefix(name, "lora_")
}

// WriteLoRA writes a genuine, tiny safetensors LoRA of the given rank over
// the named layers (F32 zeros for down, small values for up).
func WriteLoRA(w io.Writer, layers []string, rank, dim int64, meta map[string]string) error {
	header := map[string]any{}
	if len(meta) > 0 {
		header["__metadata__"] = meta
	}
	var data bytes.Buffer
	add := func(name string, shape []int64) {
		n := shape[0] * shape[1]
		start := int64(data.Len())
		for i := range n {
			binary.Write(&data, binary.LittleEndian, float32(i%7)/100)
		}
		header[name] = Tensor{DType: "F32", Shape: shape, DataOffsets: [2]int64{start, int64(data.Len())}}
	}
	for _, l := range layers {
		add(l+".lora_down.weight", []int64{rank, dim})
		add(l+".lora_up.weight", []int64{dim, rank})
	}
	h, err := json.Marshal(header)
	if err != nil {
		return err
	}
	for len(h)%8 != 0 { // the format pads the header with spaces to align the data
		h = append(h, ' ')
	}
	if err := binary.Write(w, binary.LittleEndian, uint64(len(h))); err != nil {
		return err
	}
	if _, err := w.Write(h); err != nil {
		return err
	}
	_, err = w.Write(data.Bytes())
	return err
}
