package api

import (
	"reflect"
	"strconv"
	"strings"

	"github.com/promptforge/lorastudio/internal/studio"
)

// checkText refuses a request whose strings (body fields at any depth, map
// keys, headers, path and query parameters) hold a character that must
// not be stored or shown (studio.CheckText). register runs it on every huma
// route, so no route can forget it. A field tagged text:"multiline" may
// hold tabs and line breaks.
func checkText(in any) error {
	return walkText(reflect.ValueOf(in), "", false)
}

func walkText(v reflect.Value, path string, multiline bool) error {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return walkText(v.Elem(), path, multiline)
	case reflect.String:
		return studio.CheckText(nameOr(path, "the request"), v.String(), multiline)
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			p := path
			if name := fieldName(f); name != "" {
				p = join(path, name)
			}
			if err := walkText(v.Field(i), p, f.Tag.Get("text") == "multiline"); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return nil // raw bytes (json.RawMessage) are checked where they are decoded
		}
		for i := range v.Len() {
			if err := walkText(v.Index(i), path+"["+strconv.Itoa(i)+"]", multiline); err != nil {
				return err
			}
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			k := it.Key()
			if k.Kind() == reflect.String {
				if err := studio.CheckText("a key of "+nameOr(path, "the request"), k.String(), false); err != nil {
					return err
				}
			}
			if err := walkText(it.Value(), join(path, k.String()), multiline); err != nil {
				return err
			}
		}
	}
	return nil
}

// fieldName names a field as the client wrote it: its JSON name, its
// header, path or query parameter; "" for the Body and embedded structs.
func fieldName(f reflect.StructField) string {
	if n, _, _ := strings.Cut(f.Tag.Get("json"), ","); n != "" && n != "-" {
		return n
	}
	if h := f.Tag.Get("header"); h != "" {
		return "header " + h
	}
	for _, tag := range []string{"path", "query"} {
		if n := f.Tag.Get(tag); n != "" {
			return n
		}
	}
	if f.Anonymous || f.Name == "Body" {
		return ""
	}
	return f.Name
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func nameOr(path, def string) string {
	if path == "" {
		return def
	}
	return path
}
