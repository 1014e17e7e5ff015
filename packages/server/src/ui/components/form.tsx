/**
 * Form parts shared by every page: the CSRF field, labelled inputs that say what is wrong with
 * them (`aria-invalid`, `aria-describedby`), and the error and notice boxes. Errors live in an
 * element with `role="alert"` so screen readers announce them.
 */
import type { ComponentChildren } from "preact";
import { CSRF_FIELD } from "../form-csrf.js";
import type { PageContext } from "../page-context.js";

export function CsrfField({ ctx }: { ctx: PageContext }) {
  return <input type="hidden" name={CSRF_FIELD} value={ctx.csrfToken} />;
}

export interface FieldProps {
  id: string;
  name: string;
  label: string;
  type?: "text" | "email" | "password" | "search" | "url";
  value?: string | undefined;
  autocomplete?: string;
  required?: boolean;
  hint?: string | undefined;
  /** What is wrong with this field, in words. */
  error?: string | undefined;
  inputMode?: "numeric" | "text" | "email";
  autofocus?: boolean;
  maxLength?: number;
  pattern?: string;
}

export function Field(props: FieldProps) {
  const describedBy = [props.hint ? `${props.id}-hint` : null, props.error ? `${props.id}-error` : null]
    .filter((id) => id !== null)
    .join(" ");
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      {props.hint ? (
        <span class="hint" id={`${props.id}-hint`}>
          {props.hint}
        </span>
      ) : null}
      <input
        id={props.id}
        name={props.name}
        type={props.type ?? "text"}
        value={props.type === "password" ? undefined : props.value}
        autocomplete={props.autocomplete}
        required={props.required}
        inputMode={props.inputMode}
        autofocus={props.autofocus}
        maxLength={props.maxLength}
        pattern={props.pattern}
        aria-invalid={props.error ? "true" : undefined}
        aria-describedby={describedBy === "" ? undefined : describedBy}
      />
      {props.error ? (
        <span class="field-error" id={`${props.id}-error`}>
          {props.error}
        </span>
      ) : null}
    </div>
  );
}

/** An error in words, announced (`role="alert"`); optional list of details. */
export function ErrorAlert({ message, details = [] }: { message: string | undefined; details?: string[] }) {
  if (message === undefined) return null;
  return (
    <div class="alert" role="alert">
      <p>{message}</p>
      {details.length > 0 ? (
        <ul>
          {details.map((detail) => (
            <li key={detail}>{detail}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/** A confirmation after a successful step (PRG), announced politely. */
export function Notice({ children }: { children: ComponentChildren }) {
  return (
    <div class="notice" role="status">
      {children}
    </div>
  );
}
