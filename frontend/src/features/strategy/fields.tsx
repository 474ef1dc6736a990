import { Autocomplete, Select, TextInput, type ComboboxItem } from '@mantine/core';
import { createContext, useContext, type ReactNode } from 'react';
import type { FieldErrors, FormValues } from './formModel';
import { pathOf } from './formModel';

export interface FormCtx {
  values: FormValues;
  errors: FieldErrors;
  readOnly: boolean;
  set: <K extends keyof FormValues>(key: K, value: FormValues[K]) => void;
}

export const FormContext = createContext<FormCtx | null>(null);

export function useForm(): FormCtx {
  const ctx = useContext(FormContext);
  if (!ctx) throw new Error('useForm outside FormContext');
  return ctx;
}

/** Hints go under the input, so the inputs of one row line up whether or not each has a hint. */
const HINT_BELOW: ('label' | 'input' | 'description' | 'error')[] = ['label', 'input', 'description', 'error'];

type StringKeys = { [K in keyof FormValues]: FormValues[K] extends string ? K : never }[keyof FormValues];

interface TextFieldProps {
  name: StringKeys;
  label: string;
  description?: ReactNode;
  placeholder?: string;
  unit?: string;
  numeric?: boolean;
  type?: 'text' | 'date';
  required?: boolean;
  w?: number | string;
}

/** A text input bound to the form; numbers stay strings so decimals are sent exactly as typed. */
export function TextField({ name, label, description, placeholder, unit, numeric, type = 'text', required, w }: TextFieldProps) {
  const { values, errors, set, readOnly } = useForm();
  const path = pathOf(name);
  return (
    <TextInput
      label={label}
      inputWrapperOrder={HINT_BELOW}
      description={description}
      placeholder={placeholder}
      value={values[name] as string}
      onChange={(e) => set(name, e.currentTarget.value as FormValues[typeof name])}
      error={errors[path]}
      readOnly={readOnly}
      required={required}
      type={type}
      inputMode={numeric ? 'decimal' : undefined}
      autoComplete="off"
      rightSection={unit ? <span style={{ fontSize: 12, color: 'var(--mantine-color-dimmed)', paddingRight: 6 }}>{unit}</span> : undefined}
      rightSectionWidth={unit ? Math.max(28, unit.length * 8 + 12) : undefined}
      data-testid={`field-${path}`}
      data-path={path}
      w={w}
    />
  );
}

interface SelectFieldProps {
  name: StringKeys;
  label: string;
  data: (string | ComboboxItem)[];
  description?: ReactNode;
}

export function SelectField({ name, label, data, description }: SelectFieldProps) {
  const { values, errors, set, readOnly } = useForm();
  const path = pathOf(name);
  return (
    <Select
      label={label}
      inputWrapperOrder={HINT_BELOW}
      description={description}
      data={data}
      value={values[name] as string}
      onChange={(v) => v !== null && set(name, v as FormValues[typeof name])}
      error={errors[path]}
      readOnly={readOnly}
      allowDeselect={false}
      comboboxProps={{ withinPortal: true }}
      data-testid={`field-${path}`}
      data-path={path}
    />
  );
}

function timezones(): string[] {
  try {
    const list = (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('timeZone') ?? [];
    return list.includes('UTC') ? list : ['UTC', ...list];
  } catch {
    return ['UTC', 'Asia/Kolkata', 'Europe/London', 'America/New_York'];
  }
}
const TIMEZONES = timezones();

export function TimezoneField() {
  const { values, errors, set, readOnly } = useForm();
  return (
    <Autocomplete
      label="Timezone"
      inputWrapperOrder={HINT_BELOW}
      description="IANA name; entry and exit times are wall-clock times here"
      data={TIMEZONES}
      limit={30}
      value={values.timezone}
      onChange={(v) => set('timezone', v)}
      error={errors.timezone}
      readOnly={readOnly}
      data-testid="field-timezone"
      data-path="timezone"
    />
  );
}
