import { Route, Routes } from 'react-router';
import { StrategyEditor } from './StrategyEditor';
import { StrategyList } from './StrategyList';

export default function StrategiesPage() {
  return (
    <Routes>
      <Route index element={<StrategyList />} />
      <Route path="new" element={<StrategyEditor />} />
      <Route path=":id" element={<StrategyEditor />} />
    </Routes>
  );
}
