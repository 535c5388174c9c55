package main

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
)

// pngBomb returns a 16-bit RGB PNG of w x h black pixels, its rows
// streamed through zlib at the best compression so that making it holds
// one row: 7999x8000 is ~370 KB, which image/png decodes into 512 MB of
// RGBA64 (and the old engine decoded each file twice).
func pngBomb(w, h int) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(w))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(h))
	ihdr = append(ihdr, 16, 2, 0, 0, 0)
	var idat bytes.Buffer
	z, _ := zlib.NewWriterLevel(&idat, zlib.BestCompression)
	row := make([]byte, 1+w*6) // filter byte 0, then the samples
	for range h {
		z.Write(row)
	}
	z.Close() // writing to memory cannot fail
	out := pngChunk([]byte("\x89PNG\r\n\x1a\n"), "IHDR", ihdr)
	out = pngChunk(out, "IDAT", idat.Bytes())
	return pngChunk(out, "IEND", nil)
}

// withText returns png with a tEXt chunk after IHDR, so that copies of
// one bomb differ (init refuses none, the engine sees distinct files).
func withText(png []byte, text string) []byte {
	const afterIHDR = 8 + 12 + 13
	out := bytes.Clone(png[:afterIHDR])
	out = pngChunk(out, "tEXt", append([]byte("Comment\x00"), text...))
	return append(out, png[afterIHDR:]...)
}

func pngChunk(out []byte, typ string, body []byte) []byte {
	out = binary.BigEndian.AppendUint32(out, uint32(len(body)))
	c := crc32.NewIEEE()
	c.Write([]byte(typ))
	c.Write(body)
	out = append(append(out, typ...), body...)
	return binary.BigEndian.AppendUint32(out, c.Sum32())
}

// losslessWebPBomb returns a 34-byte lossless WebP (VP8L) of w x h grey
// pixels, which x/image/webp decodes into 4*w*h bytes: no transform, no
// colour cache, five one-symbol prefix codes, so a pixel costs zero bits.
func losslessWebPBomb(w, h int) []byte {
	var bits bitWriter
	bits.put(0x2f, 8) // VP8L signature
	bits.put(uint64(w-1), 14)
	bits.put(uint64(h-1), 14)
	bits.put(0, 1+3+1+1+1)                                // no alpha, version 0, no transform, no colour cache, no meta codes
	for _, sym := range []uint64{128, 128, 128, 255, 0} { // green, red, blue, alpha, distance
		bits.put(1, 1)   // simple code
		bits.put(0, 1)   // of one symbol
		bits.put(1, 1)   // of 8 bits
		bits.put(sym, 8) // the symbol
	}
	stream := bits.flush()
	size := len(stream)
	if size%2 == 1 {
		stream = append(stream, 0) // RIFF chunks are padded to even sizes
	}
	chunk := binary.LittleEndian.AppendUint32([]byte("VP8L"), uint32(size))
	chunk = append(chunk, stream...)
	out := binary.LittleEndian.AppendUint32([]byte("RIFF"), uint32(4+len(chunk)))
	return append(append(out, "WEBP"...), chunk...)
}

// bitWriter writes bits least significant first, as VP8L reads them.
type bitWriter struct {
	b    []byte
	acc  uint64
	nbit uint
}

func (w *bitWriter) put(v uint64, n uint) {
	w.acc |= v << w.nbit
	w.nbit += n
	for w.nbit >= 8 {
		w.b = append(w.b, byte(w.acc))
		w.acc >>= 8
		w.nbit -= 8
	}
}

func (w *bitWriter) flush() []byte {
	if w.nbit > 0 {
		w.b = append(w.b, byte(w.acc))
	}
	return w.b
}
