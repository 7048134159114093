package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/saoyue/saoyue"
)

// maxJSON is the largest request body the JSON API reads.
const maxJSON = 64 << 10

// decodeJSON reads a JSON body of at most 64 KiB into v, strictly: unknown
// fields, duplicate keys, nulls and anything after the value are refused,
// so a misspelt field, a null score or a second value smuggled after the
// first is an error, never a silent default or a last-one-wins. An empty
// body leaves v as it is.
func decodeJSON(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxJSON+1))
	if err != nil {
		return saoyue.Errorf(saoyue.EINVALID, "请求内容读取失败，请重试")
	}
	if len(body) > maxJSON {
		return saoyue.Errorf(saoyue.EINVALID, "请求内容过大（最多 64 KB）")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := strictJSON(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return saoyue.Errorf(saoyue.EINVALID, "请求内容不符合本接口的格式：%s", jsonProblem(err))
	}
	return nil
}

// strictJSON checks what encoding/json lets through: exactly one value, no
// duplicate key in any object, no null anywhere.
func strictJSON(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := strictValue(dec, ""); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return saoyue.Errorf(saoyue.EINVALID, "请求内容在 JSON 之后还有多余的内容")
	}
	return nil
}

func strictValue(dec *json.Decoder, field string) error {
	tok, err := dec.Token()
	if err != nil {
		return saoyue.Errorf(saoyue.EINVALID, "请求内容不是有效的 JSON：%s", jsonProblem(err))
	}
	switch tok {
	case nil:
		return saoyue.Errorf(saoyue.EINVALID, "字段 %q 不能为 null", field)
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return saoyue.Errorf(saoyue.EINVALID, "请求内容不是有效的 JSON：%s", jsonProblem(err))
			}
			key, _ := k.(string)
			if seen[key] {
				return saoyue.Errorf(saoyue.EINVALID, "字段 %q 出现了两次", key)
			}
			seen[key] = true
			if err := strictValue(dec, key); err != nil {
				return err
			}
		}
		_, err = dec.Token()
	case json.Delim('['):
		for dec.More() {
			if err := strictValue(dec, field); err != nil {
				return err
			}
		}
		_, err = dec.Token()
	}
	if err != nil {
		return saoyue.Errorf(saoyue.EINVALID, "请求内容不是有效的 JSON：%s", jsonProblem(err))
	}
	return nil
}

// jsonProblem says in Chinese what is wrong with the JSON, naming the field
// where encoding/json knows it.
func jsonProblem(err error) string {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		return fmt.Sprintf("字段 %q 的值类型不对", typeErr.Field)
	case errors.As(err, &syntaxErr):
		return fmt.Sprintf("第 %d 个字节处格式错误", syntaxErr.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return "内容不完整"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "未知字段 " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	}
	return "格式错误"
}
