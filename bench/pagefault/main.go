// Command pagefault measures what a first write to fresh memory costs on
// this machine, beside a second write to the same pages: the price a
// process pays as its heap and goroutine stacks grow. The replicas bench's
// figures move with it (README, "Several replicas, tested and measured").
//
//	go run ./bench/pagefault [-mib 1024]
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"syscall"
	"time"
)

func main() {
	mib := flag.Int("mib", 1024, "MiB of anonymous memory to touch")
	flag.Parse()
	n := *mib << 20
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		log.Fatal(err)
	}
	page := os.Getpagesize()
	pages := n / page
	touch := func(v byte) time.Duration {
		t := time.Now()
		for i := 0; i < n; i += page {
			b[i] = v
		}
		return time.Since(t)
	}
	first, second := touch(1), touch(2)
	fmt.Printf("%d pages of %d bytes: first write %v (%.2f µs a page), second write %v (%.3f µs a page), ratio %.0fx\n",
		pages, page, first.Round(time.Millisecond), float64(first.Nanoseconds())/float64(pages)/1e3,
		second.Round(time.Millisecond), float64(second.Nanoseconds())/float64(pages)/1e3, float64(first)/float64(second))
}
